// Reads DWARF units straight from the section bytes, driven by each unit's abbreviation table:
// the name index needs a few attributes of a unit's top-level entries and skips everything
// else, which a generic DIE walk would decode attribute by attribute.
#pragma once

#include "support/error.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace kdive::debuginfo {

struct DwarfSections {
    std::span<const std::uint8_t> info;
    std::span<const std::uint8_t> abbrev;
    std::span<const std::uint8_t> str;
    std::span<const std::uint8_t> line_str;
    std::span<const std::uint8_t> str_offsets;
};

struct UnitHeader {
    std::uint64_t offset = 0;    // of the header in .debug_info
    std::uint64_t end = 0;       // one past the unit
    std::uint64_t first_die = 0; // offset of the unit's own DIE
    std::uint64_t abbrev_offset = 0;
    std::uint16_t version = 0;
    std::uint8_t address_size = 0;
    std::uint8_t offset_size = 0; // 4 (32-bit DWARF) or 8 (64-bit DWARF)
};

// The most bytes a unit header takes (64-bit DWARF 5 type unit).
inline constexpr std::size_t max_unit_header_size = 40;

// The header of the unit at `offset` in a .debug_info of `section_size` bytes, from the bytes
// there (up to max_unit_header_size of them): a caller may read them without mapping the
// section. Fails naming the offset when the header does not parse (DWARF 2 to 5, 32/64-bit).
Result<UnitHeader> read_unit_header(std::span<const std::uint8_t> bytes, std::uint64_t offset,
                                    std::uint64_t section_size);
// Every unit of a mapped .debug_info.
Result<std::vector<UnitHeader>> read_unit_headers(std::span<const std::uint8_t> info);

// A top-level entry of a unit whose tag was asked for, or an enumerator of a top-level
// enumeration that is not a declaration (then `offset` is the enumeration's).
struct ScannedDie {
    std::uint64_t offset = 0; // global .debug_info offset
    std::uint16_t tag = 0;
    // Into the mapped sections, NUL-terminated; through DW_AT_specification or
    // DW_AT_abstract_origin when the entry has no name of its own; null when nameless.
    const char* name = nullptr;
    // Which attributes the entry itself carries (not through its specification).
    bool declaration = false;
    bool location = false; // DW_AT_location or DW_AT_const_value
    bool code = false;     // DW_AT_low_pc or DW_AT_ranges
};

// One per thread: it keeps the last abbreviation table it parsed.
class DieScanner {
public:
    // `wanted` says which top-level tags to report; enumerators are reported when
    // DW_TAG_enumeration_type is wanted.
    DieScanner(const DwarfSections& sections, std::span<const UnitHeader> units,
               bool (*wanted)(unsigned tag));
    ~DieScanner();
    DieScanner(const DieScanner&) = delete;
    DieScanner& operator=(const DieScanner&) = delete;

    // Replaces `out` with the unit's entries in file order; fails (kind corrupt or
    // unsupported) naming the offset of the entry or attribute form it cannot read.
    Result<> scan(const UnitHeader& unit, std::vector<ScannedDie>& out);
    // The same over the unit's bytes read elsewhere (`unit_bytes` from unit.offset to
    // unit.end); references into other units still read the sections. Names may point into
    // `unit_bytes`.
    Result<> scan(const UnitHeader& unit, std::span<const std::uint8_t> unit_bytes,
                  std::vector<ScannedDie>& out);

private:
    struct Table;
    class Walk;
    Result<const Table*> table_for(const UnitHeader& unit);

    DwarfSections sections_;
    std::span<const UnitHeader> units_;
    bool (*wanted_)(unsigned tag);
    // The last few tables parsed: units rarely share one, but a cross-unit reference comes back.
    std::vector<std::unique_ptr<Table>> tables_;
    std::vector<std::unique_ptr<Table>> spare_;
};

} // namespace kdive::debuginfo
