// Parses unit headers and abbreviation tables, and walks a unit's entries for the name index.
// Each abbreviation is compiled once into a short list of skip steps (runs of fixed-size
// forms merged into one), so an entry the index does not need costs a few byte moves; entries
// with children are jumped over through DW_AT_sibling where the producer wrote one.
#include "debuginfo/die_scanner.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <dwarf.h>
#include <optional>

namespace kdive::debuginfo {

static_assert(std::endian::native == std::endian::little, "reads DWARF in host byte order");

namespace {

// Little-endian reads over [pos, end) of a section; a read past the end marks the cursor bad
// instead of reading, so the hot loop checks once per entry. `bytes` hold the section from
// offset `origin` on (a whole mapped section, or one unit read into a buffer); positions are
// section offsets.
class Cursor {
public:
    Cursor(std::span<const std::uint8_t> bytes, std::uint64_t pos, std::uint64_t end,
           std::uint64_t origin = 0)
        : base_(bytes.data()), origin_(origin), pos_(pos - std::min(pos, origin)),
          end_(std::min<std::uint64_t>(end - std::min(end, origin), bytes.size())) {
        bad_ = pos < origin || pos_ > end_;
    }
    std::uint64_t pos() const { return origin_ + pos_; }
    bool bad() const { return bad_; }
    bool at_end() const { return pos_ >= end_; }
    void seek(std::uint64_t pos) {
        bad_ = bad_ || pos < origin_ || pos - origin_ > end_;
        pos_ = bad_ ? end_ : pos - origin_;
    }
    void skip(std::uint64_t n) {
        if (n > end_ - pos_) {
            bad_ = true;
            pos_ = end_;
            return;
        }
        pos_ += n;
    }
    std::uint64_t fixed(unsigned n) {
        if (n > end_ - pos_) {
            bad_ = true;
            pos_ = end_;
            return 0;
        }
        std::uint64_t value = 0;
        for (unsigned i = 0; i < n; ++i) {
            value |= static_cast<std::uint64_t>(base_[pos_ + i]) << (8 * i);
        }
        pos_ += n;
        return value;
    }
    std::uint8_t byte() { return static_cast<std::uint8_t>(fixed(1)); }
    std::uint64_t uleb() {
        std::uint64_t value = 0;
        for (unsigned shift = 0; pos_ < end_; shift += 7) {
            const std::uint8_t b = base_[pos_++];
            if (shift < 64) {
                value |= static_cast<std::uint64_t>(b & 0x7f) << shift;
            }
            if ((b & 0x80) == 0) {
                return value;
            }
        }
        bad_ = true;
        return 0;
    }
    std::int64_t sleb() {
        std::uint64_t value = 0;
        unsigned shift = 0;
        while (pos_ < end_) {
            const std::uint8_t b = base_[pos_++];
            if (shift < 64) {
                value |= static_cast<std::uint64_t>(b & 0x7f) << shift;
            }
            shift += 7;
            if ((b & 0x80) == 0) {
                if (shift < 64 && (b & 0x40) != 0) {
                    value |= ~std::uint64_t{0} << shift;
                }
                return static_cast<std::int64_t>(value);
            }
        }
        bad_ = true;
        return 0;
    }
    void skip_uleb() {
        while (pos_ < end_) {
            if ((base_[pos_++] & 0x80) == 0) {
                return;
            }
        }
        bad_ = true;
    }
    // An inline string: where it starts, the cursor moved past its NUL.
    const char* cstring() {
        const auto* start = base_ + pos_;
        const auto* nul = static_cast<const std::uint8_t*>(std::memchr(start, 0, end_ - pos_));
        if (nul == nullptr) {
            bad_ = true;
            pos_ = end_;
            return nullptr;
        }
        pos_ = static_cast<std::uint64_t>(nul - base_) + 1;
        return reinterpret_cast<const char*>(start);
    }

private:
    const std::uint8_t* base_;
    std::uint64_t origin_;
    std::uint64_t pos_;
    std::uint64_t end_;
    bool bad_ = false;
};

// Bytes a form takes whatever its value, or -1 when the value says (strings, blocks, LEB128).
int fixed_form_size(unsigned form, const UnitHeader& unit) {
    switch (form) {
    case DW_FORM_flag_present:
    case DW_FORM_implicit_const:
        return 0;
    case DW_FORM_data1:
    case DW_FORM_ref1:
    case DW_FORM_flag:
    case DW_FORM_strx1:
    case DW_FORM_addrx1:
        return 1;
    case DW_FORM_data2:
    case DW_FORM_ref2:
    case DW_FORM_strx2:
    case DW_FORM_addrx2:
        return 2;
    case DW_FORM_strx3:
    case DW_FORM_addrx3:
        return 3;
    case DW_FORM_data4:
    case DW_FORM_ref4:
    case DW_FORM_strx4:
    case DW_FORM_addrx4:
    case DW_FORM_ref_sup4:
        return 4;
    case DW_FORM_data8:
    case DW_FORM_ref8:
    case DW_FORM_ref_sig8:
    case DW_FORM_ref_sup8:
        return 8;
    case DW_FORM_data16:
        return 16;
    case DW_FORM_addr:
        return unit.address_size;
    case DW_FORM_ref_addr:
        return unit.version <= 2 ? unit.address_size : unit.offset_size;
    case DW_FORM_strp:
    case DW_FORM_line_strp:
    case DW_FORM_sec_offset:
    case DW_FORM_strp_sup:
    case DW_FORM_GNU_ref_alt:
    case DW_FORM_GNU_strp_alt:
        return unit.offset_size;
    default:
        return -1;
    }
}

bool is_leb_form(unsigned form) {
    switch (form) {
    case DW_FORM_sdata:
    case DW_FORM_udata:
    case DW_FORM_ref_udata:
    case DW_FORM_strx:
    case DW_FORM_addrx:
    case DW_FORM_loclistx:
    case DW_FORM_rnglistx:
    case DW_FORM_GNU_addr_index:
    case DW_FORM_GNU_str_index:
        return true;
    default:
        return false;
    }
}

bool is_variable_size_form(unsigned form) {
    switch (form) {
    case DW_FORM_string:
    case DW_FORM_block:
    case DW_FORM_block1:
    case DW_FORM_block2:
    case DW_FORM_block4:
    case DW_FORM_exprloc:
    case DW_FORM_indirect:
        return true;
    default:
        return is_leb_form(form);
    }
}

// Moves the cursor past one value of `form`; false for a form this reader does not know.
bool skip_form(Cursor& c, unsigned form, const UnitHeader& unit) {
    if (const int size = fixed_form_size(form, unit); size >= 0) {
        c.skip(static_cast<std::uint64_t>(size));
        return true;
    }
    if (is_leb_form(form)) {
        c.skip_uleb();
        return true;
    }
    switch (form) {
    case DW_FORM_string:
        c.cstring();
        return true;
    case DW_FORM_block1:
        c.skip(c.fixed(1));
        return true;
    case DW_FORM_block2:
        c.skip(c.fixed(2));
        return true;
    case DW_FORM_block4:
        c.skip(c.fixed(4));
        return true;
    case DW_FORM_block:
    case DW_FORM_exprloc:
        c.skip(c.uleb());
        return true;
    case DW_FORM_indirect: {
        const auto actual = c.uleb();
        // An indirect form naming itself again would recurse without end.
        return actual != DW_FORM_indirect && actual != DW_FORM_implicit_const &&
               skip_form(c, static_cast<unsigned>(actual), unit);
    }
    default:
        return false;
    }
}

// An unsigned value of a constant, reference or offset form; nullopt for other forms, whose
// value is skipped all the same so that the cursor stays on the next attribute.
std::optional<std::uint64_t> read_unsigned(Cursor& c, unsigned form, const UnitHeader& unit) {
    if (is_leb_form(form)) {
        return c.uleb();
    }
    const int size = fixed_form_size(form, unit);
    if (size <= 0 || size > 8) {
        skip_form(c, form, unit);
        return std::nullopt;
    }
    return c.fixed(static_cast<unsigned>(size));
}

bool is_unit_relative_reference(unsigned form) {
    switch (form) {
    case DW_FORM_ref1:
    case DW_FORM_ref2:
    case DW_FORM_ref4:
    case DW_FORM_ref8:
    case DW_FORM_ref_udata:
        return true;
    default:
        return false;
    }
}

enum class Role : std::uint8_t { none, name, sibling, origin, str_offsets_base };

Role role_of(unsigned attribute) {
    switch (attribute) {
    case DW_AT_name:
        return Role::name;
    case DW_AT_sibling:
        return Role::sibling;
    case DW_AT_specification:
    case DW_AT_abstract_origin:
        return Role::origin;
    case DW_AT_str_offsets_base:
        return Role::str_offsets_base;
    default:
        return Role::none;
    }
}

// One step of skipping an entry's attributes.
enum class Step : std::uint8_t {
    bytes,  // `size` bytes of fixed-size forms
    leb,    // a LEB128 value
    string, // an inline string
    block1, // a block with a 1-, 2-, 4-byte or LEB128 length
    block2,
    block4,
    block_leb,
    other, // anything else, by form (DW_FORM_indirect)
};

// `role` is set on a step that holds one attribute the walk may want to read (DW_AT_name,
// DW_AT_specification, DW_AT_abstract_origin, DW_AT_sibling); such steps are never merged.
struct SkipStep {
    Step step = Step::bytes;
    Role role = Role::none;
    std::uint16_t form = 0;
    std::uint32_t size = 0;
};

struct AttributeSpec {
    std::uint16_t name = 0;
    std::uint16_t form = 0;
    Role role = Role::none;
};

struct Abbreviation {
    bool known = false;
    bool children = false;
    bool wanted = false;
    bool declaration = false;
    bool location = false;
    bool code = false;
    bool named = false;
    std::uint16_t tag = 0;
    std::uint32_t first_attribute = 0;
    std::uint32_t attribute_count = 0;
    std::uint32_t first_step = 0;
    std::uint32_t step_count = 0;
};

} // namespace

struct DieScanner::Table {
    std::uint64_t abbrev_offset = 0;
    std::uint8_t address_size = 0;
    std::uint8_t offset_size = 0;
    std::uint16_t version = 0;
    std::vector<Abbreviation> by_code;
    std::vector<AttributeSpec> attributes;
    std::vector<SkipStep> steps;

    bool fits(const UnitHeader& unit) const {
        return abbrev_offset == unit.abbrev_offset && address_size == unit.address_size &&
               offset_size == unit.offset_size && version == unit.version;
    }
    const Abbreviation* find(std::uint64_t code) const {
        return code < by_code.size() && by_code[code].known ? &by_code[code] : nullptr;
    }
};

namespace {

// Appends to the steps of the abbreviation whose steps begin at `first`.
void add_skip_step(std::vector<SkipStep>& steps, std::size_t first, unsigned form, Role role,
                   const UnitHeader& unit) {
    const int size = fixed_form_size(form, unit);
    if (role == Role::none && size >= 0) {
        if (size == 0) {
            return;
        }
        if (steps.size() > first && steps.back().step == Step::bytes &&
            steps.back().role == Role::none) {
            steps.back().size += static_cast<std::uint32_t>(size);
        } else {
            steps.push_back({Step::bytes, Role::none, 0, static_cast<std::uint32_t>(size)});
        }
        return;
    }
    Step step = Step::other;
    if (size >= 0) {
        step = Step::bytes;
    } else if (is_leb_form(form)) {
        step = Step::leb;
    } else if (form == DW_FORM_string) {
        step = Step::string;
    } else if (form == DW_FORM_block1) {
        step = Step::block1;
    } else if (form == DW_FORM_block2) {
        step = Step::block2;
    } else if (form == DW_FORM_block4) {
        step = Step::block4;
    } else if (form == DW_FORM_block || form == DW_FORM_exprloc) {
        step = Step::block_leb;
    }
    steps.push_back({step, role, static_cast<std::uint16_t>(form),
                     static_cast<std::uint32_t>(std::max(size, 0))});
}

} // namespace

Result<UnitHeader> read_unit_header(std::span<const std::uint8_t> bytes, std::uint64_t offset,
                                    std::uint64_t section_size) {
    Cursor c(bytes, 0, bytes.size());
    UnitHeader unit;
    unit.offset = offset;
    std::uint64_t length = c.fixed(4);
    unit.offset_size = 4;
    if (length == 0xffffffff) {
        length = c.fixed(8);
        unit.offset_size = 8;
    } else if (length >= 0xfffffff0) {
        return fail_as(ErrorKind::corrupt, "unit at .debug_info+{:#x}: reserved length {:#x}",
                       offset, length);
    }
    if (c.bad() || offset > section_size || length > section_size - offset - c.pos()) {
        return fail_as(ErrorKind::corrupt,
                       "unit at .debug_info+{:#x}: length {:#x} runs past the section", offset,
                       length);
    }
    unit.end = offset + c.pos() + length;
    c = Cursor(bytes, c.pos(), c.pos() + length);
    unit.version = static_cast<std::uint16_t>(c.fixed(2));
    if (unit.version < 2 || unit.version > 5) {
        return fail_as(ErrorKind::unsupported, "unit at .debug_info+{:#x}: DWARF version {}",
                       offset, unit.version);
    }
    if (unit.version == 5) {
        const auto type = c.byte();
        unit.address_size = c.byte();
        unit.abbrev_offset = c.fixed(unit.offset_size);
        if (type == DW_UT_skeleton || type == DW_UT_split_compile) {
            c.skip(8); // dwo_id
        } else if (type == DW_UT_type || type == DW_UT_split_type) {
            c.skip(8 + unit.offset_size); // type signature, type offset
        } else if (type != DW_UT_compile && type != DW_UT_partial) {
            return fail_as(ErrorKind::unsupported, "unit at .debug_info+{:#x}: unit type {:#x}",
                           offset, type);
        }
    } else {
        unit.abbrev_offset = c.fixed(unit.offset_size);
        unit.address_size = c.byte();
    }
    if (c.bad() || (unit.address_size != 4 && unit.address_size != 8)) {
        return fail_as(ErrorKind::corrupt, "unit at .debug_info+{:#x}: bad header", offset);
    }
    unit.first_die = offset + c.pos();
    return unit;
}

Result<std::vector<UnitHeader>> read_unit_headers(std::span<const std::uint8_t> info) {
    std::vector<UnitHeader> units;
    for (std::uint64_t offset = 0; offset < info.size();) {
        const auto bytes = info.subspan(
            offset, std::min<std::uint64_t>(info.size() - offset, max_unit_header_size));
        auto unit = read_unit_header(bytes, offset, info.size());
        if (!unit) {
            return std::unexpected(unit.error());
        }
        units.push_back(*unit);
        offset = unit->end;
    }
    return units;
}

DieScanner::DieScanner(const DwarfSections& sections, std::span<const UnitHeader> units,
                       bool (*wanted)(unsigned tag))
    : sections_(sections), units_(units), wanted_(wanted) {
    // Names are returned as C strings: a string section must end in a NUL to be used.
    for (auto* section : {&sections_.str, &sections_.line_str}) {
        if (!section->empty() && section->back() != 0) {
            *section = {};
        }
    }
}

DieScanner::~DieScanner() = default;

Result<const DieScanner::Table*> DieScanner::table_for(const UnitHeader& unit) {
    for (const auto& table : tables_) {
        if (table->fits(unit)) {
            return table.get();
        }
    }
    std::unique_ptr<Table> table;
    if (!spare_.empty()) {
        // Reuses the arrays of a table dropped earlier: no allocation per unit.
        table = std::move(spare_.back());
        spare_.pop_back();
        table->by_code.clear();
        table->attributes.clear();
        table->steps.clear();
    } else {
        table = std::make_unique<Table>();
    }
    table->abbrev_offset = unit.abbrev_offset;
    table->address_size = unit.address_size;
    table->offset_size = unit.offset_size;
    table->version = unit.version;
    Cursor c(sections_.abbrev, unit.abbrev_offset, sections_.abbrev.size());
    std::size_t count = 0;
    for (;;) {
        const std::uint64_t code = c.uleb();
        if (c.bad()) {
            return fail_as(ErrorKind::corrupt, ".debug_abbrev+{:#x}: table runs past the section",
                           unit.abbrev_offset);
        }
        if (code == 0) {
            break;
        }
        // Producers number codes from 1 upwards; a sparse table would make the array huge.
        if (code > 16 * count + 4096) {
            return fail_as(ErrorKind::unsupported, ".debug_abbrev+{:#x}: sparse code {}",
                           unit.abbrev_offset, code);
        }
        ++count;
        if (code >= table->by_code.size()) {
            table->by_code.resize(code + 1);
        }
        Abbreviation abbrev;
        abbrev.known = true;
        const auto tag = c.uleb();
        abbrev.tag = static_cast<std::uint16_t>(std::min<std::uint64_t>(tag, 0xffff));
        abbrev.children = c.byte() != 0;
        abbrev.wanted = wanted_(abbrev.tag);
        abbrev.first_attribute = static_cast<std::uint32_t>(table->attributes.size());
        abbrev.first_step = static_cast<std::uint32_t>(table->steps.size());
        for (;;) {
            const auto name = c.uleb();
            const auto form = c.uleb();
            if (c.bad()) {
                return fail_as(ErrorKind::corrupt,
                               ".debug_abbrev+{:#x}: table runs past the section",
                               unit.abbrev_offset);
            }
            if (name == 0 && form == 0) {
                break;
            }
            if (form == DW_FORM_implicit_const) {
                c.sleb();
            }
            if (fixed_form_size(static_cast<unsigned>(form), unit) < 0 &&
                !is_variable_size_form(static_cast<unsigned>(form))) {
                return fail_as(ErrorKind::unsupported, ".debug_abbrev+{:#x}: form {:#x}",
                               unit.abbrev_offset, form);
            }
            const auto attribute =
                static_cast<std::uint16_t>(std::min<std::uint64_t>(name, 0xffff));
            const Role role = role_of(attribute);
            table->attributes.push_back({attribute, static_cast<std::uint16_t>(form), role});
            add_skip_step(table->steps, abbrev.first_step, static_cast<unsigned>(form), role, unit);
            abbrev.declaration = abbrev.declaration || attribute == DW_AT_declaration;
            abbrev.location =
                abbrev.location || attribute == DW_AT_location || attribute == DW_AT_const_value;
            abbrev.code = abbrev.code || attribute == DW_AT_low_pc || attribute == DW_AT_ranges;
            abbrev.named = abbrev.named || attribute == DW_AT_name;
        }
        abbrev.attribute_count =
            static_cast<std::uint32_t>(table->attributes.size()) - abbrev.first_attribute;
        abbrev.step_count = static_cast<std::uint32_t>(table->steps.size()) - abbrev.first_step;
        table->by_code[code] = abbrev;
    }
    tables_.push_back(std::move(table));
    return tables_.back().get();
}

// The walk over one unit's entries, and the few reads that follow a reference elsewhere.
class DieScanner::Walk {
    static constexpr std::uint64_t no_base = ~std::uint64_t{0};

public:
    Walk(DieScanner& scanner, const UnitHeader& unit, const Table& table,
         std::span<const std::uint8_t> unit_bytes)
        : scanner_(scanner), unit_(unit), table_(table), unit_bytes_(unit_bytes),
          c_(unit_bytes, unit.first_die, unit.end, unit.offset) {}

    Result<> run(std::vector<ScannedDie>& out) {
        std::uint64_t code = c_.uleb();
        const Abbreviation* unit_die = code == 0 ? nullptr : table_.find(code);
        if (c_.bad() || code == 0) {
            return {};
        }
        if (unit_die == nullptr) {
            return unknown_code(unit_.first_die, code);
        }
        str_offsets_base_ = read_str_offsets_base(c_, unit_, table_, *unit_die);
        if (!unit_die->children) {
            return {};
        }
        unsigned depth = 1;
        bool in_enumeration = false;
        std::uint64_t enumeration = 0;
        while (depth > 0 && !c_.at_end()) {
            const std::uint64_t offset = c_.pos();
            code = c_.uleb();
            if (code == 0) {
                --depth;
                in_enumeration = in_enumeration && depth > 1;
                continue;
            }
            const Abbreviation* abbrev = table_.find(code);
            if (abbrev == nullptr) {
                return unknown_code(offset, code);
            }
            std::optional<std::uint64_t> sibling;
            if (depth == 1 && abbrev->wanted) {
                ScannedDie die;
                die.offset = offset;
                die.tag = abbrev->tag;
                die.declaration = abbrev->declaration;
                die.location = abbrev->location;
                die.code = abbrev->code;
                Attributes read;
                if (!walk_attributes(c_, unit_, table_, *abbrev, &read, sibling)) {
                    return unknown_form(offset);
                }
                die.name = read.name;
                if (die.name == nullptr && read.origin &&
                    (die.tag == DW_TAG_variable || die.tag == DW_TAG_subprogram)) {
                    die.name = name_through(*read.origin, 0);
                }
                if (die.name != nullptr) {
                    out.push_back(die);
                }
                if (die.tag == DW_TAG_enumeration_type && abbrev->children &&
                    !abbrev->declaration) {
                    in_enumeration = true;
                    enumeration = offset;
                    ++depth;
                    continue;
                }
            } else if (depth == 2 && in_enumeration && abbrev->tag == DW_TAG_enumerator) {
                Attributes read;
                if (!walk_attributes(c_, unit_, table_, *abbrev, &read, sibling)) {
                    return unknown_form(offset);
                }
                if (read.name != nullptr) {
                    out.push_back(ScannedDie{
                        .offset = enumeration, .tag = DW_TAG_enumerator, .name = read.name});
                }
            } else if (!walk_attributes(c_, unit_, table_, *abbrev, nullptr, sibling)) {
                return unknown_form(offset);
            }
            if (c_.bad()) {
                return fail_as(ErrorKind::corrupt, ".debug_info+{:#x}: entry runs past its unit",
                               offset);
            }
            if (abbrev->children) {
                if (sibling && *sibling > c_.pos() && *sibling <= unit_.end) {
                    c_.seek(*sibling);
                } else {
                    ++depth;
                }
            }
        }
        return {};
    }

private:
    struct Attributes {
        const char* name = nullptr;
        std::optional<std::uint64_t> origin; // global offset of DW_AT_specification/origin
    };

    static Result<> unknown_form(std::uint64_t offset) {
        return fail_as(ErrorKind::unsupported, ".debug_info+{:#x}: an attribute form is unknown",
                       offset);
    }

    Result<> unknown_code(std::uint64_t offset, std::uint64_t code) const {
        return fail_as(ErrorKind::corrupt,
                       ".debug_info+{:#x}: abbreviation code {} is not in .debug_abbrev+{:#x}",
                       offset, code, table_.abbrev_offset);
    }

    // A reference attribute as a global .debug_info offset.
    static std::optional<std::uint64_t> reference(Cursor& c, unsigned form,
                                                  const UnitHeader& unit) {
        auto value = read_unsigned(c, form, unit);
        if (!value) {
            return std::nullopt;
        }
        if (is_unit_relative_reference(form)) {
            return unit.offset + *value;
        }
        return form == DW_FORM_ref_addr ? value : std::nullopt;
    }

    const char* string_at(std::span<const std::uint8_t> section, std::uint64_t offset) const {
        return offset < section.size() ? reinterpret_cast<const char*>(section.data() + offset)
                                       : nullptr;
    }

    const char* string(Cursor& c, unsigned form, const UnitHeader& unit,
                       std::uint64_t str_offsets_base) const {
        const auto& sections = scanner_.sections_;
        switch (form) {
        case DW_FORM_string:
            return c.cstring();
        case DW_FORM_strp:
            return string_at(sections.str, c.fixed(unit.offset_size));
        case DW_FORM_line_strp:
            return string_at(sections.line_str, c.fixed(unit.offset_size));
        case DW_FORM_strx:
        case DW_FORM_GNU_str_index:
        case DW_FORM_strx1:
        case DW_FORM_strx2:
        case DW_FORM_strx3:
        case DW_FORM_strx4: {
            const auto index = read_unsigned(c, form, unit).value_or(0);
            if (str_offsets_base == no_base) {
                return nullptr;
            }
            Cursor entry(sections.str_offsets, 0, sections.str_offsets.size());
            entry.skip(str_offsets_base);
            entry.skip(index * unit.offset_size);
            const auto offset = entry.fixed(unit.offset_size);
            return entry.bad() ? nullptr : string_at(sections.str, offset);
        }
        default:
            skip_form(c, form, unit);
            return nullptr;
        }
    }

    static std::uint64_t read_str_offsets_base(Cursor& c, const UnitHeader& unit,
                                               const Table& table, const Abbreviation& abbrev) {
        std::uint64_t base = no_base;
        for (std::uint32_t i = 0; i < abbrev.attribute_count; ++i) {
            const AttributeSpec& spec = table.attributes[abbrev.first_attribute + i];
            if (spec.role == Role::str_offsets_base) {
                base = read_unsigned(c, spec.form, unit).value_or(no_base);
            } else {
                skip_form(c, spec.form, unit);
            }
        }
        return base;
    }

    // Moves past an entry's attributes by its compiled steps, reading the sibling always and
    // the name and origin into `read` when given. False on a form this reader does not know.
    bool walk_attributes(Cursor& c, const UnitHeader& unit, const Table& table,
                         const Abbreviation& abbrev, Attributes* read,
                         std::optional<std::uint64_t>& sibling) const {
        const SkipStep* step = table.steps.data() + abbrev.first_step;
        const SkipStep* const end = step + abbrev.step_count;
        for (; step != end; ++step) {
            if (step->role == Role::sibling && step->step == Step::bytes &&
                (is_unit_relative_reference(step->form) || step->form == DW_FORM_ref_addr)) {
                // The common case, read without the generic form dispatch.
                const auto value = c.fixed(step->size);
                sibling = step->form == DW_FORM_ref_addr ? value : unit.offset + value;
                continue;
            }
            const bool wanted =
                step->role == Role::sibling ||
                (read != nullptr && (step->role == Role::name || step->role == Role::origin));
            if (wanted) {
                // DW_FORM_indirect: the form comes first, in the entry itself.
                const auto form = step->form == DW_FORM_indirect ? static_cast<unsigned>(c.uleb())
                                                                 : unsigned{step->form};
                if (form == DW_FORM_indirect || form == DW_FORM_implicit_const) {
                    return false;
                }
                if (step->role == Role::sibling) {
                    sibling = reference(c, form, unit);
                } else if (step->role == Role::name) {
                    read->name =
                        string(c, form, unit, &unit == &unit_ ? str_offsets_base_ : no_base);
                } else {
                    read->origin = reference(c, form, unit);
                }
                continue;
            }
            switch (step->step) {
            case Step::bytes:
                c.skip(step->size);
                break;
            case Step::leb:
                c.skip_uleb();
                break;
            case Step::string:
                c.cstring();
                break;
            case Step::block1:
                c.skip(c.fixed(1));
                break;
            case Step::block2:
                c.skip(c.fixed(2));
                break;
            case Step::block4:
                c.skip(c.fixed(4));
                break;
            case Step::block_leb:
                c.skip(c.uleb());
                break;
            case Step::other:
                if (!skip_form(c, step->form, unit)) {
                    return false;
                }
                break;
            }
        }
        return true;
    }

    // The name an unnamed definition takes from the declaration it completes or the
    // abstract instance it comes from, following at most a few such links.
    const char* name_through(std::uint64_t offset, unsigned hops) {
        if (hops >= 8) {
            return nullptr;
        }
        const auto& units = scanner_.units_;
        auto it =
            std::upper_bound(units.begin(), units.end(), offset,
                             [](std::uint64_t at, const UnitHeader& u) { return at < u.offset; });
        if (it == units.begin()) {
            return nullptr;
        }
        const UnitHeader& unit = *std::prev(it);
        if (offset < unit.first_die || offset >= unit.end) {
            return nullptr;
        }
        auto table = &unit == &unit_ ? &table_ : scanner_.table_for(unit).value_or(nullptr);
        if (table == nullptr) {
            return nullptr;
        }
        // Within this unit, its own bytes (which may be a copy); else the mapped section.
        Cursor c = &unit == &unit_ ? Cursor(unit_bytes_, offset, unit.end, unit.offset)
                                   : Cursor(scanner_.sections_.info, offset, unit.end);
        const Abbreviation* abbrev = table->find(c.uleb());
        if (abbrev == nullptr || c.bad()) {
            return nullptr;
        }
        std::optional<std::uint64_t> ignored;
        Attributes read;
        // Another unit's string offsets base is not at hand: its strx names stay unread.
        if (!walk_attributes(c, unit, *table, *abbrev, &read, ignored) || c.bad()) {
            return nullptr;
        }
        if (read.name != nullptr || !read.origin) {
            return read.name;
        }
        return name_through(*read.origin, hops + 1);
    }

    DieScanner& scanner_;
    const UnitHeader& unit_;
    const Table& table_;
    std::span<const std::uint8_t> unit_bytes_;
    Cursor c_;
    std::uint64_t str_offsets_base_ = no_base;
};

Result<> DieScanner::scan(const UnitHeader& unit, std::vector<ScannedDie>& out) {
    if (unit.offset > sections_.info.size() || unit.end > sections_.info.size() ||
        unit.end < unit.offset) {
        out.clear();
        return fail_as(ErrorKind::corrupt, "unit at .debug_info+{:#x} lies outside the section",
                       unit.offset);
    }
    return scan(unit, sections_.info.subspan(unit.offset, unit.end - unit.offset), out);
}

Result<> DieScanner::scan(const UnitHeader& unit, std::span<const std::uint8_t> unit_bytes,
                          std::vector<ScannedDie>& out) {
    out.clear();
    // Tables stay valid during a scan (a cross-unit reference may add one); between scans
    // only a few are kept.
    if (tables_.size() > 8) {
        for (auto& table : tables_) {
            spare_.push_back(std::move(table));
        }
        tables_.clear();
    }
    auto table = table_for(unit);
    if (!table) {
        return std::unexpected(table.error());
    }
    return Walk(*this, unit, **table, unit_bytes).run(out);
}

} // namespace kdive::debuginfo
