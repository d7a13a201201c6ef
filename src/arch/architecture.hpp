// What differs between the CPU architectures kdive debugs, as data: register names, DWARF
// numbering, breakpoint size, and how a vCPU's registers tell its privilege level, its
// per-CPU base and its current task. Decided from the vmlinux or the target description.
#pragma once

#include "support/error.hpp"
#include "target/target.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string_view>

namespace kdive::arch {

enum class Machine { x86_64, aarch64 };

// Reads one register of one vCPU by its GDB name.
using RegisterLookup = std::function<Result<std::uint64_t>(std::string_view name)>;

struct Architecture {
    Machine machine = Machine::x86_64;
    std::string_view name;     // "x86-64", "arm64"
    std::string_view gdb_name; // the target description's <architecture>
    std::string_view pc;       // GDB register names
    std::string_view sp;
    std::string_view fp;
    std::string_view link;              // the return-address register; empty on x86-64
    std::string_view return_value;      // where a function's integer result is
    std::string_view return_value_high; // its second half, for results of 9-16 bytes
    // Larger results are in memory the caller chose: x86-64 returns its address in rax;
    // arm64 passed it in x8, which the callee need not preserve.
    bool returns_memory_address = true;
    std::size_t code_breakpoint_kind = 1; // Z0/Z1 kind: the breakpoint instruction's size
    std::size_t instruction_alignment = 1;
    // DWARF register numbering: names by number, and the numbers of pc, sp and fp.
    std::span<const std::string_view> dwarf_names;
    std::size_t dwarf_pc = 0;
    std::size_t dwarf_sp = 0;
    std::size_t dwarf_fp = 0;
    // Registers a function preserves for its caller (DWARF numbers), for unwinding.
    std::span<const std::size_t> callee_saved;

    // The GDB name of DWARF register `number`, empty when unknown.
    std::string_view dwarf_name(std::size_t number) const;
    // The DWARF number of a GDB register name.
    std::optional<std::size_t> dwarf_number(std::string_view name) const;
};

// Enough DWARF register slots for every architecture (arm64: x0-x30, sp, pc).
inline constexpr std::size_t max_dwarf_registers = 33;

const Architecture& x86_64_architecture();
const Architecture& aarch64_architecture();

// By ELF e_machine (EM_X86_64, EM_AARCH64); nullptr for others.
const Architecture* architecture_of_elf(std::uint16_t e_machine);
// By the target's register names: "rip" is x86-64, "pc" with "x0" is arm64; nullptr otherwise.
const Architecture* architecture_of_registers(std::span<const std::string_view> names);
// The architecture of the registers a target describes (x86-64 when they say nothing).
const Architecture& architecture_of(const target::Target& target);

// Kernel addresses: the top half of the address space on both architectures.
inline bool is_kernel_address(std::uint64_t address) {
    return (address >> 63) != 0;
}

// A return address without arm64's pointer-authentication code: PAC bits sit between the
// virtual-address size and bit 55, which says which half the address belongs to. Kernel
// addresses get those bits set again (KERNELPACMASK is a subset of bits 63:va_bits).
inline std::uint64_t strip_pointer_auth(std::uint64_t address, unsigned va_bits = 48) {
    const std::uint64_t high = ~((std::uint64_t{1} << va_bits) - 1);
    return (address >> 55 & 1) != 0 ? address | high : address & ~high;
}

enum class CpuMode { kernel, user };

// The privilege level the vCPU runs at (x86-64: CS's RPL; arm64: PSTATE.EL in cpsr).
Result<CpuMode> cpu_mode(const Architecture& arch, const RegisterLookup& registers);

// The vCPU's per-CPU offset: x86-64's GS base (the kernel's, whichever of gs_base and
// k_gs_base holds it), arm64's TPIDR_EL1 (TPIDR_EL2 when the kernel runs at EL2).
Result<std::uint64_t> per_cpu_base(const Architecture& arch, const RegisterLookup& registers);

// The current task as a register holds it: arm64 keeps it in SP_EL0 while in the kernel.
// nullopt when the architecture or the mode has no such register.
std::optional<std::uint64_t> current_task_register(const Architecture& arch,
                                                   const RegisterLookup& registers);

} // namespace kdive::arch
