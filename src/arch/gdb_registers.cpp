// Each architecture's description lives beside its other tables; this picks one.
#include "arch/gdb_registers.hpp"

#include "arch/aarch64/gdb_registers.hpp"
#include "arch/x86_64/gdb_registers.hpp"

#include <fmt/format.h>

namespace kdive::arch {

std::size_t register_number(std::span<const GdbRegister> registers, std::string_view name) {
    for (std::size_t i = 0; i < registers.size(); ++i) {
        if (registers[i].name == name) {
            return i;
        }
    }
    return registers.size();
}

std::string target_description(std::span<const GdbRegister> registers,
                               std::string_view architecture, FeatureTypes types_of,
                               RegisterGroup group_of) {
    std::string xml = fmt::format("<?xml version=\"1.0\"?>\n<!DOCTYPE target SYSTEM "
                                  "\"gdb-target.dtd\">\n<target version=\"1.0\">\n"
                                  "<architecture>{}</architecture>\n<osabi>none</osabi>\n",
                                  architecture);
    std::string_view open_feature;
    for (std::size_t i = 0; i < registers.size(); ++i) {
        const GdbRegister& r = registers[i];
        if (r.feature != open_feature) {
            if (!open_feature.empty()) {
                xml += "</feature>\n";
            }
            open_feature = r.feature;
            xml += fmt::format("<feature name=\"{}\">\n", r.feature);
            xml += types_of(r.feature);
        }
        xml += fmt::format(
            "<reg name=\"{}\" bitsize=\"{}\" type=\"{}\" regnum=\"{}\" group=\"{}\"/>\n", r.name,
            r.bitsize, r.type, i, group_of(r));
    }
    xml += "</feature>\n</target>\n";
    return xml;
}

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
