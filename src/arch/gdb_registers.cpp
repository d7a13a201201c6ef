// Each architecture's description lives beside its other tables; this picks one.
#include "arch/gdb_registers.hpp"

#include "arch/aarch64/gdb_registers.hpp"
#include "arch/x86_64/gdb_registers.hpp"

namespace kdive::arch {

std::span<const GdbRegister> gdb_registers(const Architecture& arch) {
    return arch.machine == Machine::aarch64 ? aarch64::gdb_registers() : x86_64::gdb_registers();
}

std::size_t gdb_register_number(const Architecture& arch, std::string_view name) {
    return arch.machine == Machine::aarch64 ? aarch64::gdb_register_number(name)
                                            : x86_64::gdb_register_number(name);
}

std::string gdb_target_xml(const Architecture& arch) {
    return arch.machine == Machine::aarch64 ? aarch64::gdb_target_xml() : x86_64::gdb_target_xml();
}

std::string_view gdb_host_triple(const Architecture& arch) {
    return arch.machine == Machine::aarch64 ? "aarch64-unknown-linux-gnu"
                                            : "x86_64-unknown-linux-gnu";
}

} // namespace kdive::arch
