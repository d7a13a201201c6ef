// The DWARF name index as libdw's generic DIE walk builds it: the reference that kdive's own
// scanner is held to.
#pragma once

#include "debuginfo/dwarf_index.hpp"
#include "debuginfo/elf_file.hpp"

#include <elfutils/libdw.h>
#include <optional>

namespace kdive::testing {

inline std::optional<debuginfo::DwarfIndex> libdw_index(const debuginfo::ElfFile& file) {
    Dwarf* dwarf = dwarf_begin_elf(file.elf(), DWARF_C_READ, nullptr);
    if (dwarf == nullptr) {
        return std::nullopt;
    }
    auto index = debuginfo::DwarfIndex::build(dwarf);
    dwarf_end(dwarf);
    return index;
}

} // namespace kdive::testing
