// The registers kdive's GDB server describes, per architecture: the table, its target
// description, and the triple LLDB is told (the layouts are in x86_64/ and aarch64/).
#pragma once

#include "arch/architecture.hpp"

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

namespace kdive::arch {

struct GdbRegister {
    std::string_view name;
    int bitsize = 64;
    std::string_view type;    // a GDB target-description type ("int64", "code_ptr", ...)
    std::string_view feature; // "org.gnu.gdb.i386.core", "org.gnu.gdb.aarch64.core", ...
};

// The regnum of `name` in `registers`, or registers.size() when there is none.
std::size_t register_number(std::span<const GdbRegister> registers, std::string_view name);

// A target description of `registers` for GDB's `architecture`, OS ABI "none" (a kernel has no
// dynamic linker: its modules come from the server's library list): one <feature> per run of
// registers of a feature, opened with the type definitions `types_of` gives for it, and each
// register in the group `group_of` names.
using FeatureTypes = std::string_view (*)(std::string_view feature);
using RegisterGroup = std::string_view (*)(const GdbRegister& r);
std::string target_description(std::span<const GdbRegister> registers,
                               std::string_view architecture, FeatureTypes types_of,
                               RegisterGroup group_of);

// Every register of `arch`'s description, regnum = index.
std::span<const GdbRegister> gdb_registers(const Architecture& arch);

// The regnum of a register by name, or gdb_registers(arch).size() when there is none.
std::size_t gdb_register_number(const Architecture& arch, std::string_view name);

// The target description GDB reads with qXfer:features:read:target.xml.
std::string gdb_target_xml(const Architecture& arch);

// The triple qHostInfo gives LLDB, which picks its ABI (and unwinder) by it.
std::string_view gdb_host_triple(const Architecture& arch);

} // namespace kdive::arch
