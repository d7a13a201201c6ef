// The arm64 registers kdive's GDB server describes, in the order of its target description:
// QEMU's core and FP/SIMD layout (same regnums), GDB's pointer-authentication masks, and the
// system registers kdive itself reads, by the names QEMU's stub gives them.
#pragma once

#include "arch/gdb_registers.hpp"

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace kdive::arch::aarch64 {

// Every register, regnum = index.
std::span<const GdbRegister> gdb_registers();

// The regnum of a register by name, or gdb_registers().size() when there is none.
std::size_t gdb_register_number(std::string_view name);

// The target description GDB reads with qXfer:features:read:target.xml (OS ABI "none", as
// on x86-64: the modules come from the library list).
std::string gdb_target_xml();

// The kernel half's address bits by TCR_EL1: 64 - T1SZ; 0 before translation is set up.
unsigned kernel_address_bits(std::uint64_t tcr_el1);

// The bits of a kernel code address that hold its pointer-authentication code: everything
// above kernel_address_bits (0 when that is 0). GDB's pauth_cmask/pauth_dmask.
std::uint64_t pointer_auth_mask(std::uint64_t tcr_el1);

} // namespace kdive::arch::aarch64
