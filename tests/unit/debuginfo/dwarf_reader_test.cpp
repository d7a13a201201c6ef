// DWARF 4 and 5 from real gcc output, without BTF: types, variables, lines, printing.
#include "cli/eval_commands.hpp"
#include "compiled_program.hpp"
#include "debuginfo/debug_info.hpp"

#include <gtest/gtest.h>
#include <regex>

namespace kdive {
namespace {

using testing::TempDir;

class DwarfReader : public ::testing::TestWithParam<std::string> {
protected:
    void SetUp() override {
        std::string error;
        binary_ = testing::compile_sample(dir_.path(), {GetParam()}, &error);
        ASSERT_FALSE(binary_.empty()) << error;
        debuginfo::DebugInfoOptions options;
        options.cache_root = dir_ / "cache";
        auto info = debuginfo::DebugInfo::open(binary_, options);
        ASSERT_TRUE(info) << info.error().message;
        info_ = std::move(*info);
        ASSERT_FALSE(info_->has_btf());
        commands_ = std::make_unique<cli::EvalCommands>(*info_);
    }

    std::string run(const std::string& line) {
        auto result = commands_->run(line);
        if (!result) {
            return "<not handled>";
        }
        return *result ? **result : "error: " + result->error().message;
    }

    TempDir dir_{"dwarf"};
    std::filesystem::path binary_;
    std::unique_ptr<debuginfo::DebugInfo> info_;
    std::unique_ptr<cli::EvalCommands> commands_;
};

TEST_P(DwarfReader, PtypeShowsLayoutLikeGdb) {
    EXPECT_EQ(run("ptype struct point"), "type = struct point {\n"
                                         "    int x;\n"
                                         "    int y;\n"
                                         "    unsigned int flag : 1;\n"
                                         "    unsigned int mode : 3;\n"
                                         "    char name[8];\n"
                                         "    struct inner in;\n"
                                         "    union {\n"
                                         "        long as_long;\n"
                                         "        int as_int;\n"
                                         "    };\n"
                                         "    enum color color;\n"
                                         "    struct point *next;\n"
                                         "    void (*callback)(struct point *, int);\n"
                                         "}");
    EXPECT_EQ(run("ptype struct blob"),
              "type = struct blob {\n    int len;\n    unsigned char data[];\n}");
    EXPECT_EQ(run("ptype enum color"), "type = enum color {RED, GREEN = 5, BLUE}");
    EXPECT_EQ(run("whatis point_t"), "type = struct point");
    EXPECT_EQ(run("ptype point_t"), run("ptype struct point"));
    EXPECT_EQ(run("whatis origin.next"), "type = struct point *");
    EXPECT_EQ(run("whatis grid"), "type = int [2][3]");
    EXPECT_EQ(run("whatis greeting"), "type = const char [13]");
    EXPECT_EQ(run("whatis &add"), "type = int (*)(int, int)");
    EXPECT_EQ(run("whatis origin.callback"), "type = void (*)(struct point *, int)");
}

TEST_P(DwarfReader, PrintsInitialValuesFromTheFile) {
    const std::string origin = run("p origin");
    EXPECT_TRUE(std::regex_match(
        origin, std::regex(R"(\$1 = \{x = 1, y = -2, flag = 1, mode = 5, name = "origin\\000", )"
                           R"(in = \{c = 7\}, \{as_long = 42, as_int = 42\}, color = GREEN, )"
                           R"(next = 0x[0-9a-f]+ <origin>, callback = 0x0\})")))
        << origin;
    EXPECT_EQ(run("p counters"), "$2 = {3 <repeats 12 times>, 1, 2, 0, 0}");
    EXPECT_EQ(run("p greeting"), "$3 = \"hello, world\"");
    EXPECT_TRUE(std::regex_match(run("p message"), std::regex(R"(\$4 = 0x[0-9a-f]+ "hi")")));
    EXPECT_EQ(run("p bss_zero"), "$5 = 0");
    EXPECT_EQ(run("p grid"), "$6 = {{1, 2, 3}, {4, 5, 6}}");
    EXPECT_EQ(run("p grid[1][2] * 10 + origin.mode"), "$7 = 65");
    EXPECT_EQ(run("p origin_ptr->in.c"), "$8 = 7");
    EXPECT_EQ(run("p/x origin.y"), "$9 = 0xfffffffe");
    EXPECT_EQ(run("p origin.color"), "$10 = GREEN");
    EXPECT_EQ(run("p/d BLUE"), "$11 = 6");
    EXPECT_EQ(run("p $8 + $"), "$12 = 13");
    EXPECT_TRUE(std::regex_match(run("p add"),
                                 std::regex(R"(\$13 = \{int \(int, int\)\} 0x[0-9a-f]+ <add>)")));
    EXPECT_EQ(run("p sizeof(struct blob)"), "$14 = 4");
    EXPECT_EQ(run("p offsetof(struct point, in.c)"), "$15 = 20");
    EXPECT_EQ(run("p container_of(&origin.in, struct point, in) == &origin"), "$16 = 1");
    EXPECT_EQ(run("p *no_blob"), "error: Cannot access memory at address 0x0");
}

TEST_P(DwarfReader, SymbolsAddressesAndLines) {
    EXPECT_TRUE(std::regex_match(
        run("info address origin"),
        std::regex(R"(Symbol "origin" is static storage at address 0x[0-9a-f]+\.)")));
    EXPECT_TRUE(std::regex_match(run("info symbol &origin.y"),
                                 std::regex(R"(origin \+ 4 in section \.data)")));
    EXPECT_TRUE(std::regex_match(
        run("info line add"),
        std::regex(
            R"(Line 30 of "sample\.c" starts at address 0x[0-9a-f]+ <add> and ends at 0x[0-9a-f]+ <add\+\d+>\.)")))
        << run("info line add");
    auto location = commands_->resolve_location("add");
    ASSERT_TRUE(location && *location);
    auto star = commands_->resolve_location("*&origin");
    ASSERT_TRUE(star && *star);
    EXPECT_EQ(**star, info_->symbols().find("origin")->address);
    EXPECT_NE(run("list add").find("return a + b;"), std::string::npos) << run("list add");
}

TEST_P(DwarfReader, ErrorsNameWhatWasWrong) {
    EXPECT_EQ(run("p nosuch"), "error: No symbol \"nosuch\" in current context.");
    EXPECT_EQ(run("p origin.nosuch"), "error: There is no member named nosuch in struct point.");
    EXPECT_EQ(run("ptype struct nosuch"), "error: No struct type named nosuch.");
    EXPECT_NE(run("set var origin.x = 3").find("read-only"), std::string::npos);
    EXPECT_EQ(run("frobnicate"), "<not handled>");
}

INSTANTIATE_TEST_SUITE_P(Versions, DwarfReader, ::testing::Values("-gdwarf-4", "-gdwarf-5"),
                         [](const auto& param) {
                             return param.param == "-gdwarf-4" ? "dwarf4" : "dwarf5";
                         });

} // namespace
} // namespace kdive
