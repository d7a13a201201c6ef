// The abbreviation-driven DIE scanner: on DWARF written byte by byte here (each form and unit
// layout it must read, and broken input it must refuse without hanging), and on gcc's output
// in every DWARF flavour, where its index must equal the one libdw's DIE walk builds.
#include "compiled_program.hpp"
#include "debuginfo/die_scanner.hpp"
#include "debuginfo/dwarf_index.hpp"
#include "debuginfo/elf_file.hpp"
#include "libdw_index.hpp"

#include <cstring>
#include <dwarf.h>
#include <gtest/gtest.h>
#include <string>
#include <vector>

namespace kdive {
namespace {

using debuginfo::DieScanner;
using debuginfo::DwarfSections;
using debuginfo::ScannedDie;

// Little-endian bytes, as a DWARF producer writes them.
struct Bytes {
    std::vector<std::uint8_t> data;

    Bytes& u(std::uint64_t value, unsigned size) {
        for (unsigned i = 0; i < size; ++i) {
            data.push_back(static_cast<std::uint8_t>(value >> (8 * i)));
        }
        return *this;
    }
    Bytes& uleb(std::uint64_t value) {
        do {
            std::uint8_t b = value & 0x7f;
            value >>= 7;
            data.push_back(value != 0 ? (b | 0x80) : b);
        } while (value != 0);
        return *this;
    }
    Bytes& str(const std::string& s) {
        data.insert(data.end(), s.begin(), s.end());
        data.push_back(0);
        return *this;
    }
    std::size_t size() const { return data.size(); }
};

bool wanted(unsigned tag) {
    return tag == DW_TAG_variable || tag == DW_TAG_subprogram || tag == DW_TAG_base_type ||
           tag == DW_TAG_enumeration_type || tag == DW_TAG_structure_type;
}

// One abbreviation: code, tag, children, then (attribute, form[, implicit value]) pairs.
void abbrev(Bytes& b, unsigned code, unsigned tag, bool children,
            const std::vector<std::pair<unsigned, unsigned>>& attributes) {
    b.uleb(code).uleb(tag).u(children ? 1 : 0, 1);
    for (auto [attribute, form] : attributes) {
        b.uleb(attribute).uleb(form);
        if (form == DW_FORM_implicit_const) {
            b.uleb(4);
        }
    }
    b.uleb(0).uleb(0);
}

// A DWARF 5 unit (32- or 64-bit) that holds every case the index reads; offsets of the
// interesting entries are kept to check what the scanner reports.
struct SampleUnit {
    Bytes abbrevs;
    Bytes info;
    Bytes strings;
    std::uint64_t variable = 0, declaration = 0, definition = 0, enumeration = 0, base = 0,
                  structure = 0;

    explicit SampleUnit(unsigned offset_size) {
        abbrev(abbrevs, 1, DW_TAG_compile_unit, true, {{DW_AT_name, DW_FORM_string}});
        abbrev(abbrevs, 2, DW_TAG_variable, false,
               {{DW_AT_name, DW_FORM_strp},
                {DW_AT_type, DW_FORM_ref4},
                {DW_AT_location, DW_FORM_exprloc}});
        abbrev(abbrevs, 3, DW_TAG_subprogram, false,
               {{DW_AT_name, DW_FORM_string}, {DW_AT_declaration, DW_FORM_flag_present}});
        abbrev(abbrevs, 4, DW_TAG_subprogram, true,
               {{DW_AT_specification, DW_FORM_ref4},
                {DW_AT_low_pc, DW_FORM_addr},
                {DW_AT_sibling, DW_FORM_ref4}});
        abbrev(abbrevs, 5, DW_TAG_formal_parameter, false, {{DW_AT_name, DW_FORM_string}});
        abbrev(abbrevs, 6, DW_TAG_enumeration_type, true,
               {{DW_AT_name, DW_FORM_string}, {DW_AT_byte_size, DW_FORM_implicit_const}});
        abbrev(abbrevs, 7, DW_TAG_enumerator, false,
               {{DW_AT_name, DW_FORM_string}, {DW_AT_const_value, DW_FORM_sdata}});
        abbrev(abbrevs, 8, DW_TAG_base_type, false,
               {{DW_AT_name, DW_FORM_indirect}, {DW_AT_byte_size, DW_FORM_data1}});
        abbrev(abbrevs, 9, DW_TAG_structure_type, true,
               {{DW_AT_name, DW_FORM_string}, {DW_AT_byte_size, DW_FORM_udata}});
        abbrev(abbrevs, 10, DW_TAG_member, false,
               {{DW_AT_name, DW_FORM_string}, {DW_AT_data_member_location, DW_FORM_block1}});
        abbrevs.uleb(0);
        strings.str("").str("counter");

        // Header; the length is patched in at the end.
        if (offset_size == 8) {
            info.u(0xffffffff, 4).u(0, 8);
        } else {
            info.u(0, 4);
        }
        const std::size_t after_length = info.size();
        info.u(5, 2).u(DW_UT_compile, 1).u(8, 1).u(0, offset_size);
        info.uleb(1).str("unit.c");
        base = info.size();
        info.uleb(8).uleb(DW_FORM_string).str("int").u(4, 1);
        variable = info.size();
        info.uleb(2).u(1, offset_size).u(base, 4).uleb(9).u(DW_OP_addr, 1).u(0x1000, 8);
        declaration = info.size();
        info.uleb(3).str("helper");
        definition = info.size();
        info.uleb(4).u(declaration, 4).u(0x2000, 8);
        const std::size_t sibling_at = info.size();
        info.u(0, 4);
        info.uleb(5).str("not_top_level").uleb(0);
        const std::size_t after_definition = info.size();
        std::memcpy(&info.data[sibling_at], &after_definition, 4);
        enumeration = info.size();
        info.uleb(6).str("color").uleb(7).str("RED").uleb(0).uleb(7).str("GREEN").uleb(5).uleb(0);
        structure = info.size();
        info.uleb(9).str("point").uleb(16);
        info.uleb(10).str("x").u(1, 1).u(0, 1).uleb(10).str("y").u(1, 1).u(4, 1).uleb(0);
        info.uleb(0); // end of the unit's children
        const std::uint64_t length = info.size() - after_length;
        std::memcpy(&info.data[after_length - offset_size], &length, offset_size);
    }

    DwarfSections sections() const {
        DwarfSections s;
        s.info = info.data;
        s.abbrev = abbrevs.data;
        s.str = strings.data;
        return s;
    }
};

std::vector<ScannedDie> scan_all(const DwarfSections& sections, std::string* error = nullptr) {
    auto units = debuginfo::read_unit_headers(sections.info);
    if (!units) {
        if (error != nullptr) {
            *error = units.error().message;
        }
        return {};
    }
    DieScanner scanner(sections, *units, wanted);
    std::vector<ScannedDie> all;
    std::vector<ScannedDie> dies;
    for (const auto& unit : *units) {
        if (auto ok = scanner.scan(unit, dies); !ok) {
            if (error != nullptr) {
                *error = ok.error().message;
            }
            return {};
        }
        all.insert(all.end(), dies.begin(), dies.end());
    }
    return all;
}

std::string describe(const ScannedDie& die) {
    return fmt::format("{:#x} {:#x} {} {}{}{}", die.offset, die.tag,
                       die.name != nullptr ? die.name : "-", die.declaration ? "d" : "",
                       die.location ? "l" : "", die.code ? "c" : "");
}

class DieScannerForms : public ::testing::TestWithParam<unsigned> {};

TEST_P(DieScannerForms, ReportsTopLevelEntriesAndEnumerators) {
    const SampleUnit unit(GetParam());
    std::string error;
    const auto dies = scan_all(unit.sections(), &error);
    ASSERT_TRUE(error.empty()) << error;
    std::vector<std::string> got;
    for (const auto& die : dies) {
        got.push_back(describe(die));
    }
    const std::vector<std::string> expected{
        fmt::format("{:#x} {:#x} int ", unit.base, DW_TAG_base_type),
        fmt::format("{:#x} {:#x} counter l", unit.variable, DW_TAG_variable),
        fmt::format("{:#x} {:#x} helper d", unit.declaration, DW_TAG_subprogram),
        // Named through DW_AT_specification; the parameter inside is skipped by the sibling.
        fmt::format("{:#x} {:#x} helper c", unit.definition, DW_TAG_subprogram),
        fmt::format("{:#x} {:#x} color ", unit.enumeration, DW_TAG_enumeration_type),
        fmt::format("{:#x} {:#x} RED ", unit.enumeration, DW_TAG_enumerator),
        fmt::format("{:#x} {:#x} GREEN ", unit.enumeration, DW_TAG_enumerator),
        fmt::format("{:#x} {:#x} point ", unit.structure, DW_TAG_structure_type),
    };
    EXPECT_EQ(got, expected);
}

INSTANTIATE_TEST_SUITE_P(OffsetSizes, DieScannerForms, ::testing::Values(4u, 8u));

TEST(DieScanner, AnUnknownCodeIsAnErrorNamingItsOffset) {
    SampleUnit unit(4);
    unit.info.data[unit.structure] = 99;
    std::string error;
    EXPECT_TRUE(scan_all(unit.sections(), &error).empty());
    EXPECT_NE(error.find(fmt::format(".debug_info+{:#x}: abbreviation code 99", unit.structure)),
              std::string::npos)
        << error;
}

TEST(DieScanner, CutAndOverlongUnitsAreRefused) {
    const SampleUnit unit(4);
    for (std::size_t keep : {std::size_t{3}, std::size_t{9}, unit.info.size() - 1}) {
        DwarfSections sections = unit.sections();
        sections.info = sections.info.first(keep);
        std::string error;
        EXPECT_TRUE(scan_all(sections, &error).empty()) << keep;
        EXPECT_NE(error.find("unit at .debug_info+0x0"), std::string::npos) << error;
    }
}

TEST(DieScanner, CyclesAndBackwardSiblingsEndTheWalk) {
    SampleUnit unit(4);
    // The definition's specification points at itself, and its sibling points backwards.
    std::uint32_t self = static_cast<std::uint32_t>(unit.definition);
    std::memcpy(&unit.info.data[unit.definition + 1], &self, 4);
    std::memcpy(&unit.info.data[unit.definition + 13], &self, 4);
    std::string error;
    const auto dies = scan_all(unit.sections(), &error);
    ASSERT_TRUE(error.empty()) << error;
    for (const auto& die : dies) {
        EXPECT_NE(die.offset, unit.definition) << "a nameless entry is not reported";
    }
    EXPECT_EQ(dies.back().offset, unit.structure) << "the walk went on past the definition";
}

TEST(DieScanner, AStringSectionWithoutItsLastNulIsNotUsed) {
    SampleUnit unit(4);
    unit.strings.data.back() = 'x';
    const auto dies = scan_all(unit.sections());
    for (const auto& die : dies) {
        EXPECT_NE(die.offset, unit.variable) << describe(die);
    }
}

// gcc's own output in each DWARF flavour: the index kdive builds (by its scanner, or by libdw's
// walk where the scanner declines) equals libdw's DIE walk's on one thread.
class DieScannerOnGcc : public ::testing::TestWithParam<std::vector<std::string>> {};

TEST_P(DieScannerOnGcc, IndexEqualsTheLibdwWalk) {
    testing::TempDir dir("die-scanner");
    std::string error;
    const auto binary = testing::compile_sample(dir.path(), GetParam(), &error);
    ASSERT_FALSE(binary.empty()) << error;
    auto file = debuginfo::ElfFile::open(binary);
    ASSERT_TRUE(file) << file.error().message;
    auto scanned = debuginfo::DwarfIndex::build(**file, 2);
    ASSERT_TRUE(scanned) << scanned.error().message;
    const auto walked = testing::libdw_index(**file);
    ASSERT_TRUE(walked);
    EXPECT_GT(walked->size(), 20u);
    EXPECT_TRUE(*scanned == *walked);
    EXPECT_TRUE(scanned->find(debuginfo::DwarfNameKind::enumerator, "BLUE"));
    EXPECT_TRUE(scanned->find(debuginfo::DwarfNameKind::variable, "greeting"));
}

// Lookups while the index is built answer as the whole index does, then the index is whole.
TEST(PendingDwarfIndex, EarlyAndLateAnswersEqualTheWholeIndex) {
    testing::TempDir dir("pending-index");
    const auto binary = testing::compile_sample(dir.path(), {"-g"});
    ASSERT_FALSE(binary.empty());
    auto file = debuginfo::ElfFile::open(binary);
    ASSERT_TRUE(file) << file.error().message;
    auto whole = debuginfo::DwarfIndex::build(**file, 1);
    ASSERT_TRUE(whole);
    int built_calls = 0;
    debuginfo::PendingDwarfIndex pending(**file, 2,
                                         [&](const debuginfo::DwarfIndex&) { ++built_calls; });
    using Kind = debuginfo::DwarfNameKind;
    for (const auto& [kind, name] :
         std::vector<std::pair<Kind, std::string>>{{Kind::struct_tag, "point"},
                                                   {Kind::variable, "origin"},
                                                   {Kind::variable, "greeting"},
                                                   {Kind::enumerator, "BLUE"},
                                                   {Kind::function, "add"},
                                                   {Kind::ordinary_type, "point_t"},
                                                   {Kind::struct_tag, "absent"}}) {
        EXPECT_EQ(pending.find(kind, name), whole->find(kind, name)) << name;
    }
    auto built = pending.wait();
    ASSERT_TRUE(built);
    EXPECT_TRUE(**built == *whole);
    EXPECT_EQ(built_calls, 1);
    EXPECT_TRUE(pending.finished());
}

INSTANTIATE_TEST_SUITE_P(Flavours, DieScannerOnGcc,
                         ::testing::Values(std::vector<std::string>{"-gdwarf-5"},
                                           std::vector<std::string>{"-gdwarf-4"},
                                           std::vector<std::string>{"-gdwarf-2", "-gstrict-dwarf"},
                                           std::vector<std::string>{"-gdwarf-5", "-gdwarf64"},
                                           std::vector<std::string>{"-gdwarf-4", "-O2"},
                                           // Compressed sections: libdw's walk builds it.
                                           std::vector<std::string>{"-gdwarf-5", "-gz"}));

} // namespace
} // namespace kdive
