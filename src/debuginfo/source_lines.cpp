// Looks up line-table rows with libdw, naming files the way GDB does.
#include "debuginfo/source_lines.hpp"

#include <dwarf.h>
#include <string_view>

namespace kdive::debuginfo {

namespace {

// libdw joins every file name with its directory; GDB shows a file relative to the unit's
// directory unless its line-table directory was itself absolute (as gas writes them).
std::string display_name(Dwarf_Die* unit, const std::string& path) {
    Dwarf_Attribute attr;
    const char* comp_dir = dwarf_formstring(dwarf_attr(unit, DW_AT_comp_dir, &attr));
    if (comp_dir == nullptr) {
        return path;
    }
    const std::string prefix = std::string(comp_dir) + "/";
    if (path.compare(0, prefix.size(), prefix) != 0) {
        return path;
    }
    Dwarf_Files* files = nullptr;
    std::size_t file_count = 0;
    const char* const* dirs = nullptr;
    std::size_t dir_count = 0;
    if (dwarf_getsrcfiles(unit, &files, &file_count) == 0 &&
        dwarf_getsrcdirs(files, &dirs, &dir_count) == 0) {
        const std::string_view dir_of_path(path.data(), path.rfind('/'));
        for (std::size_t i = 1; i < dir_count; ++i) {
            if (dirs[i] != nullptr && dirs[i][0] == '/' && dir_of_path == dirs[i]) {
                return path;
            }
        }
    }
    return path.substr(prefix.size());
}

} // namespace

std::optional<SourceLine> source_line_for_address(Dwarf* dwarf, std::uint64_t address) {
    Dwarf_Die unit;
    if (dwarf == nullptr || dwarf_addrdie(dwarf, address, &unit) == nullptr) {
        return std::nullopt;
    }
    Dwarf_Lines* lines = nullptr;
    std::size_t count = 0;
    if (dwarf_getsrclines(&unit, &lines, &count) != 0 || count == 0) {
        return std::nullopt;
    }
    // Rows are sorted by address: take the last row at or below the address that is not an
    // end-of-sequence marker, then the first later row with a higher address as its end.
    std::optional<std::size_t> best;
    for (std::size_t i = 0; i < count; ++i) {
        Dwarf_Line* line = dwarf_onesrcline(lines, i);
        Dwarf_Addr at = 0;
        bool end_sequence = false;
        dwarf_lineaddr(line, &at);
        dwarf_lineendsequence(line, &end_sequence);
        if (at > address) {
            break;
        }
        if (!end_sequence) {
            best = i;
        } else if (best && at <= address) {
            best.reset();
        }
    }
    if (!best) {
        return std::nullopt;
    }
    Dwarf_Line* line = dwarf_onesrcline(lines, *best);
    SourceLine result;
    Dwarf_Addr start = 0;
    dwarf_lineaddr(line, &start);
    // Several rows can share the start address; the first of them is where the line begins.
    result.start = start;
    result.end = start;
    for (std::size_t i = *best + 1; i < count; ++i) {
        Dwarf_Addr at = 0;
        dwarf_lineaddr(dwarf_onesrcline(lines, i), &at);
        if (at > start) {
            result.end = at;
            break;
        }
    }
    int lineno = 0;
    dwarf_lineno(line, &lineno);
    result.line = lineno;
    const char* file = dwarf_linesrc(line, nullptr, nullptr);
    result.full_path = file != nullptr ? file : "??";
    result.file = display_name(&unit, result.full_path);
    return result;
}

} // namespace kdive::debuginfo
