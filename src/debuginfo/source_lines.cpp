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
    // Among rows at the same address GDB prefers a statement boundary (is_stmt) to the last.
    auto row_address = [&](std::size_t i) {
        Dwarf_Addr at = 0;
        dwarf_lineaddr(dwarf_onesrcline(lines, i), &at);
        return at;
    };
    auto row_is_stmt = [&](std::size_t i) {
        bool is_stmt = true;
        dwarf_linebeginstatement(dwarf_onesrcline(lines, i), &is_stmt);
        return is_stmt;
    };
    auto row_line = [&](std::size_t i) {
        int number = 0;
        dwarf_lineno(dwarf_onesrcline(lines, i), &number);
        return number;
    };
    const std::size_t last_row = *best;
    if (!row_is_stmt(*best)) {
        for (std::size_t i = *best; i-- > 0 && row_address(i) == row_address(*best);) {
            if (row_is_stmt(i)) {
                best = i;
                break;
            }
        }
    }
    Dwarf_Line* line = dwarf_onesrcline(lines, *best);
    SourceLine result;
    const Dwarf_Addr start = row_address(*best);
    result.start = start;
    result.end = start;
    // The line ends at the next row at a higher address, past rows that only continue it
    // (same line, not a statement boundary), as GDB measures it.
    for (std::size_t i = last_row + 1; i < count; ++i) {
        const Dwarf_Addr at = row_address(i);
        bool end_sequence = false;
        dwarf_lineendsequence(dwarf_onesrcline(lines, i), &end_sequence);
        if (at > start && (end_sequence || row_is_stmt(i) || row_line(i) != row_line(*best))) {
            result.end = at;
            break;
        }
    }
    dwarf_linebeginstatement(line, &result.is_stmt);
    int lineno = 0;
    dwarf_lineno(line, &lineno);
    result.line = lineno;
    const char* file = dwarf_linesrc(line, nullptr, nullptr);
    result.full_path = file != nullptr ? file : "??";
    result.file = display_name(&unit, result.full_path);
    return result;
}

} // namespace kdive::debuginfo
