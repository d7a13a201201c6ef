// Address → file:line from the DWARF line table of the one unit covering the address.
#pragma once

#include <cstdint>
#include <elfutils/libdw.h>
#include <optional>
#include <string>

namespace kdive::debuginfo {

struct SourceLine {
    std::string file;      // as GDB names it: relative to the unit's directory when it was
    std::string full_path; // absolute, for opening the source
    int line = 0;
    std::uint64_t start = 0; // the line-table row holding the address
    std::uint64_t end = 0;   // where the next row begins
    bool is_stmt = true;     // a recommended breakpoint location (where stepping stops)
};

// Finds the unit through .debug_aranges and parses only its line program.
std::optional<SourceLine> source_line_for_address(Dwarf* dwarf, std::uint64_t address);

} // namespace kdive::debuginfo
