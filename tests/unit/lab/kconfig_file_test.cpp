// The .config reader and merger: exact round trips on real configs, merge and value rules.
#include "lab/kconfig_file.hpp"
#include "support/atomic_file.hpp"

#include <gtest/gtest.h>

namespace kdive::lab {
namespace {

namespace fs = std::filesystem;

const fs::path kFixture = fs::path(KDIVE_SOURCE_DIR) / "tests/unit/lab/data/small.config";

KconfigFile parse_ok(std::string_view text) {
    auto file = KconfigFile::parse(text, "test");
    EXPECT_TRUE(file) << (file ? "" : file.error().message);
    return file ? *file : KconfigFile{};
}

void expect_round_trip(const fs::path& path) {
    auto text = read_file(path);
    ASSERT_TRUE(text) << text.error().message;
    auto file = KconfigFile::read(path.string());
    ASSERT_TRUE(file) << file.error().message;
    EXPECT_EQ(file->text(), *text) << path;
    EXPECT_GT(file->settings().size(), 5u) << path;
}

TEST(KconfigFile, CommittedFixtureRoundTripsExactly) {
    expect_round_trip(kFixture);
}

TEST(KconfigFile, ReadsEveryValueForm) {
    auto file = KconfigFile::read(kFixture.string());
    ASSERT_TRUE(file) << file.error().message;
    EXPECT_EQ(file->value("CC_IS_GCC"), "y");
    EXPECT_EQ(file->value("EXT4_FS"), "m");
    EXPECT_EQ(file->value("LOCALVERSION_AUTO"), "n");
    EXPECT_EQ(file->value("LOG_BUF_SHIFT"), "17");
    EXPECT_EQ(file->value("PHYSICAL_START"), "0x1000000");
    EXPECT_EQ(file->value("LOCALVERSION"), "\"\"");
    EXPECT_EQ(file->value("NOT_MENTIONED"), std::nullopt);
    EXPECT_EQ(kconfig_unquote(*file->value("CMDLINE")), "console=ttyS0 quiet \"x\\y\"");
}

TEST(KconfigFile, FileWithoutFinalNewlineRoundTrips) {
    auto file = parse_ok("CONFIG_A=y\n# CONFIG_B is not set");
    EXPECT_EQ(file.text(), "CONFIG_A=y\n# CONFIG_B is not set");
    EXPECT_EQ(file.value("B"), "n");
}

TEST(KconfigFile, OtherCommentsAreNotSettings) {
    auto file = parse_ok("# CONFIG_A is set\n#CONFIG_B is not set\n# end of X\n\n");
    EXPECT_TRUE(file.settings().empty());
    EXPECT_EQ(file.text(), "# CONFIG_A is set\n#CONFIG_B is not set\n# end of X\n\n");
}

TEST(KconfigFile, MalformedLinesNameFileAndLine) {
    auto missing_eq = KconfigFile::parse("CONFIG_A=y\nCONFIG_B y\n", "frag.config");
    ASSERT_FALSE(missing_eq);
    EXPECT_NE(missing_eq.error().message.find("frag.config:2"), std::string::npos)
        << missing_eq.error().message;
    EXPECT_FALSE(KconfigFile::parse("CONFIG_A=yes\n", "f"));
    EXPECT_FALSE(KconfigFile::parse("CONFIG_A=\"open\n", "f"));
    EXPECT_FALSE(KconfigFile::parse("CONFIG_A=\"ends in escape\\\"\n", "f"));
    EXPECT_FALSE(KconfigFile::parse("CONFIG_A=0xZZ\n", "f"));
    EXPECT_FALSE(KconfigFile::parse("CONFIG_=y\n", "f"));
}

TEST(KconfigFile, SetReplacesInPlaceAndAppendsNewOptions) {
    auto file = parse_ok("# head\nCONFIG_A=y\n# CONFIG_B is not set\nCONFIG_C=m\n");
    file.set("A", "n");
    file.set("B", "y");
    file.set("D", "\"x\"");
    EXPECT_EQ(file.text(),
              "# head\n# CONFIG_A is not set\nCONFIG_B=y\nCONFIG_C=m\nCONFIG_D=\"x\"\n");
}

TEST(KconfigFile, SetDropsLaterDuplicatesSoTheNewValueWins) {
    auto file = parse_ok("CONFIG_A=y\nCONFIG_B=y\nCONFIG_A=m\n");
    EXPECT_EQ(file.value("A"), "m"); // the last one counts, as in Kconfig
    file.set("A", "n");
    EXPECT_EQ(file.text(), "# CONFIG_A is not set\nCONFIG_B=y\n");
}

TEST(KconfigFile, MergeReportsOnlyRealChanges) {
    auto base = parse_ok("CONFIG_A=y\n# CONFIG_B is not set\nCONFIG_S=\"old\"\n");
    auto fragment = parse_ok("# a fragment\nCONFIG_A=y\nCONFIG_B=y\nCONFIG_S=\"new\"\n"
                             "# CONFIG_C is not set\n");
    auto changes = base.merge(fragment);
    ASSERT_EQ(changes.size(), 3u);
    EXPECT_EQ(changes[0].name, "B");
    EXPECT_EQ(changes[0].old_value, "n");
    EXPECT_EQ(changes[1].name, "S");
    EXPECT_EQ(changes[1].new_value, "\"new\"");
    EXPECT_EQ(changes[2].name, "C");
    EXPECT_EQ(changes[2].old_value, std::nullopt);
    EXPECT_EQ(base.text(), "CONFIG_A=y\nCONFIG_B=y\nCONFIG_S=\"new\"\n# CONFIG_C is not set\n");
}

TEST(KconfigFile, MergedFileReadsBackTheSame) {
    auto base = KconfigFile::read(kFixture.string());
    ASSERT_TRUE(base);
    base->merge(parse_ok("# CONFIG_RANDOMIZE_BASE is not set\nCONFIG_CMDLINE=\"\"\n"));
    auto again = parse_ok(base->text());
    EXPECT_EQ(again.text(), base->text());
    EXPECT_EQ(again.value("RANDOMIZE_BASE"), "n");
    EXPECT_EQ(again.value("CMDLINE"), "\"\"");
}

TEST(KconfigAssignment, AcceptsBothSpellingsOfTheName) {
    auto a = parse_kconfig_assignment("CONFIG_DEBUG_INFO=y");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->name, "DEBUG_INFO");
    auto b = parse_kconfig_assignment("DEBUG_INFO_DWARF4=y");
    ASSERT_TRUE(b);
    EXPECT_EQ(b->name, "DEBUG_INFO_DWARF4");
    auto c = parse_kconfig_assignment("# CONFIG_X is not set");
    ASSERT_TRUE(c);
    EXPECT_EQ(c->value, "n");
    auto bad = parse_kconfig_assignment("CONFIG-X=y");
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().message.find("CONFIG-X"), std::string::npos);
}

TEST(KconfigQuote, EscapesRoundTrip) {
    std::string text = "a \"quoted\" back\\slash";
    EXPECT_EQ(kconfig_quote(text), "\"a \\\"quoted\\\" back\\\\slash\"");
    EXPECT_EQ(kconfig_unquote(kconfig_quote(text)), text);
    EXPECT_EQ(kconfig_unquote("\"\""), "");
    EXPECT_EQ(kconfig_unquote("no quotes"), std::nullopt);
}

TEST(KconfigValue, SatisfiesComparesByMeaning) {
    EXPECT_TRUE(kconfig_value_satisfies("n", std::nullopt));
    EXPECT_TRUE(kconfig_value_satisfies("n", "n"));
    EXPECT_FALSE(kconfig_value_satisfies("y", std::nullopt));
    EXPECT_FALSE(kconfig_value_satisfies("y", "m"));
    EXPECT_TRUE(kconfig_value_satisfies("0x1F", "0x1f"));
    EXPECT_TRUE(kconfig_value_satisfies("0x10", "16"));
    EXPECT_FALSE(kconfig_value_satisfies("16", "17"));
    EXPECT_TRUE(kconfig_value_satisfies("\"\"", "\"\""));
    EXPECT_FALSE(kconfig_value_satisfies("\"\"", "\"x\""));
}

} // namespace
} // namespace kdive::lab
