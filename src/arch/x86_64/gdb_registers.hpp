// The x86-64 registers kdive's GDB server describes, in the order of its target description
// (the layout QEMU's stub uses, so GDB and LLDB find what they know by name).
#pragma once

#include "arch/gdb_registers.hpp"

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

namespace kdive::arch::x86_64 {

// Every register, regnum = index.
std::span<const GdbRegister> gdb_registers();

// The regnum of a register by name, or gdb_registers().size() when there is none.
std::size_t gdb_register_number(std::string_view name);

// The target description GDB reads with qXfer:features:read:target.xml. Its OS ABI is "none":
// a kernel has no dynamic linker, so GDB takes its shared libraries (the modules) from the
// library list the server sends instead of looking for ld.so's.
std::string gdb_target_xml();

} // namespace kdive::arch::x86_64
