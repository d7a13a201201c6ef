// gen_init_cpio list parsing: every entry type, variables, and file:line errors.
#include "lab/cpio_spec.hpp"
#include "support/atomic_file.hpp"
#include "temp_dir.hpp"

#include <gtest/gtest.h>

namespace kdive::lab {
namespace {

CpioSpecOptions options_with(std::map<std::string, std::string> vars) {
    CpioSpecOptions options;
    options.origin = "list.txt";
    options.lookup = [vars](const std::string& name) -> std::optional<std::string> {
        auto it = vars.find(name);
        return it == vars.end() ? std::nullopt : std::optional(it->second);
    };
    return options;
}

TEST(CpioSpec, ParsesEveryEntryType) {
    testing::TempDir dir("spec");
    ASSERT_TRUE(write_file_atomically(dir / "hello", "hi\n"));
    std::string spec = "# comment\n"
                       "\n"
                       "dir /dev 755 0 0\n"
                       "nod /dev/console 600 0 0 c 5 1\n"
                       "nod /dev/sda 660 0 6 b 8 0   # trailing comment\n"
                       "file /bin/hello ${SRC}/hello 755 1000 100\n"
                       "slink /bin/sh busybox 777 0 0\n"
                       "pipe /run/fifo 644 0 0\n"
                       "sock /run/sock 644 0 0\n";
    auto entries = parse_cpio_spec(spec, options_with({{"SRC", dir.path().string()}}));
    ASSERT_TRUE(entries) << entries.error().message;
    ASSERT_EQ(entries->size(), 7U);
    EXPECT_EQ((*entries)[0].name, "dev");
    EXPECT_EQ((*entries)[0].type, CpioType::Directory);
    EXPECT_EQ((*entries)[1].type, CpioType::CharDevice);
    EXPECT_EQ((*entries)[1].dev_major, 5U);
    EXPECT_EQ((*entries)[1].dev_minor, 1U);
    EXPECT_EQ((*entries)[1].permissions, 0600U);
    EXPECT_EQ((*entries)[2].type, CpioType::BlockDevice);
    EXPECT_EQ((*entries)[2].gid, 6U);
    EXPECT_EQ((*entries)[3].data, "hi\n");
    EXPECT_EQ((*entries)[3].uid, 1000U);
    EXPECT_EQ((*entries)[4].data, "busybox");
    EXPECT_EQ((*entries)[5].type, CpioType::Fifo);
    EXPECT_EQ((*entries)[6].type, CpioType::Socket);
}

TEST(CpioSpec, HardLinksShareAGroup) {
    testing::TempDir dir("spec-links");
    ASSERT_TRUE(write_file_atomically(dir / "f", "data"));
    auto spec = "file /a " + (dir / "f").string() + " 644 0 0 /b /c\n";
    auto entries = parse_cpio_spec(spec, options_with({}));
    ASSERT_TRUE(entries) << entries.error().message;
    ASSERT_EQ(entries->size(), 3U);
    EXPECT_NE((*entries)[0].link_group, 0U);
    EXPECT_EQ((*entries)[0].link_group, (*entries)[2].link_group);
    EXPECT_EQ((*entries)[2].name, "c");
}

struct BadSpec {
    std::string text;
    std::string expected; // fragment of the error
};

void PrintTo(const BadSpec& spec, std::ostream* os) {
    *os << spec.text;
}

class CpioSpecErrors : public ::testing::TestWithParam<BadSpec> {};

TEST_P(CpioSpecErrors, NamesFileLineAndProblem) {
    auto entries = parse_cpio_spec(GetParam().text, options_with({}));
    ASSERT_FALSE(entries);
    EXPECT_NE(entries.error().message.find(GetParam().expected), std::string::npos)
        << entries.error().message;
}

INSTANTIATE_TEST_SUITE_P(
    Table, CpioSpecErrors,
    ::testing::Values(
        BadSpec{"dir /a 755 0 0\nfrob /x 755 0 0\n", "list.txt:2: unknown entry type 'frob'"},
        BadSpec{"dir /a 7x5 0 0\n", "list.txt:1: bad mode '7x5'"},
        BadSpec{"dir /a 17777 0 0\n", "bad mode '17777'"},
        BadSpec{"dir /a 755 0\n", "list.txt:1: 'dir' takes"},
        BadSpec{"dir /a/../../etc 755 0 0\n", "'..'"}, BadSpec{"slink ../x y 777 0 0\n", "'..'"},
        BadSpec{"nod /dev/x 600 0 0 q 1 1\n", "bad device type 'q'"},
        BadSpec{"file /x /nonexistent/kdive/file 644 0 0\n",
                "list.txt:1: source file '/nonexistent/kdive/file' does not exist"},
        BadSpec{"file /x ${UNSET_KDIVE_VAR}/f 644 0 0\n",
                "variable 'UNSET_KDIVE_VAR' is not defined"},
        BadSpec{"dir / 755 0 0\n", "empty"}, BadSpec{"dir /a 755 -1 0\n", "bad uid '-1'"}));

TEST(CpioSpec, NormalizesNames) {
    EXPECT_EQ(*normalize_member_name("/usr//bin/./ls"), "usr/bin/ls");
    EXPECT_EQ(*normalize_member_name("etc/"), "etc");
    EXPECT_FALSE(normalize_member_name("a/.."));
    EXPECT_FALSE(normalize_member_name("//"));
}

TEST(CpioSpec, ExpandsVariables) {
    auto lookup = [](const std::string& n) -> std::optional<std::string> {
        return n == "A" ? std::optional<std::string>("x") : std::nullopt;
    };
    EXPECT_EQ(*expand_variables("${A}/${A}y", lookup), "x/xy");
    EXPECT_FALSE(expand_variables("${A", lookup));
    EXPECT_FALSE(expand_variables("${B}", lookup));
}

} // namespace
} // namespace kdive::lab
