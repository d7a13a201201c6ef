// Kconfig rules: expressions evaluated against a .config, dependencies collected from entries,
// if blocks, menus and select, with help text ignored.
#include "lab/kconfig_rules.hpp"

#include <gtest/gtest.h>

namespace kdive::lab {
namespace {

KconfigFile config(std::string_view text) {
    auto file = KconfigFile::parse(text, "test");
    EXPECT_TRUE(file);
    return file ? *file : KconfigFile{};
}

TEST(KconfigExpression, TristateLogic) {
    auto c = config("CONFIG_A=y\nCONFIG_M=m\n# CONFIG_N is not set\nCONFIG_V=124\n"
                    "CONFIG_S=\"abc\"\n");
    EXPECT_EQ(evaluate_kconfig_expression("A", c), 2);
    EXPECT_EQ(evaluate_kconfig_expression("M", c), 1);
    EXPECT_EQ(evaluate_kconfig_expression("N", c), 0);
    EXPECT_EQ(evaluate_kconfig_expression("ABSENT", c), 0);
    EXPECT_EQ(evaluate_kconfig_expression("!N", c), 2);
    EXPECT_EQ(evaluate_kconfig_expression("A && M", c), 1);
    EXPECT_EQ(evaluate_kconfig_expression("N || M", c), 1);
    EXPECT_EQ(evaluate_kconfig_expression("!(A && N)", c), 2);
    EXPECT_EQ(evaluate_kconfig_expression("!DEBUG_INFO_DWARF5 || V >= 121", c), 2);
    EXPECT_EQ(evaluate_kconfig_expression("V < 121", c), 0);
    EXPECT_EQ(evaluate_kconfig_expression("S = \"abc\"", c), 2);
    EXPECT_EQ(evaluate_kconfig_expression("A != y", c), 0);
    EXPECT_EQ(evaluate_kconfig_expression("$(cc-option,-foo) && A", c), 2);
}

constexpr std::string_view kKconfig = R"(
menu "Debugging"
	depends on DEBUG_KERNEL

config DEBUG_INFO_BTF
	bool "Generate BTF type information"
	depends on !DEBUG_INFO_SPLIT && !DEBUG_INFO_REDUCED
	depends on BPF_SYSCALL
	depends on !DEBUG_INFO_DWARF5 || PAHOLE_VERSION >= 121
	help
	  Generate BTF. This text mentions
	  depends on NOT_A_RULE and select ALSO_NOT
	  which are prose.

if X86
config HIDDEN
	bool
	select SELECTED if SMP
endif

endmenu

config SELECTED
	bool "can be turned off"
)";

TEST(KconfigRules, ExplainsTheConditionsThatAreOff) {
    auto rules = KconfigRules::parse_text(kKconfig, "Kconfig");
    auto c = config("CONFIG_DEBUG_KERNEL=y\nCONFIG_DEBUG_INFO_DWARF5=y\nCONFIG_PAHOLE_VERSION=0\n");
    auto reasons = rules.explain("DEBUG_INFO_BTF", "y", c);
    ASSERT_EQ(reasons.size(), 2u);
    EXPECT_EQ(reasons[0], "depends on BPF_SYSCALL (BPF_SYSCALL=n)");
    EXPECT_EQ(reasons[1], "depends on !DEBUG_INFO_DWARF5 || PAHOLE_VERSION >= 121 "
                          "(DEBUG_INFO_DWARF5=y, PAHOLE_VERSION=0)");
}

TEST(KconfigRules, MenuAndIfConditionsApplyToTheirEntries) {
    auto rules = KconfigRules::parse_text(kKconfig, "Kconfig");
    auto reasons = rules.explain("DEBUG_INFO_BTF", "y", config("CONFIG_BPF_SYSCALL=y\n"));
    ASSERT_EQ(reasons.size(), 1u);
    EXPECT_EQ(reasons[0], "depends on DEBUG_KERNEL (DEBUG_KERNEL=n)");
    auto hidden = rules.explain("HIDDEN", "y", config("CONFIG_DEBUG_KERNEL=y\n"));
    ASSERT_EQ(hidden.size(), 1u);
    EXPECT_EQ(hidden[0], "depends on X86 (X86=n)");
}

TEST(KconfigRules, HelpTextIsNotARule) {
    auto rules = KconfigRules::parse_text(kKconfig, "Kconfig");
    EXPECT_FALSE(rules.knows("NOT_A_RULE"));
    auto c = config("CONFIG_DEBUG_KERNEL=y\nCONFIG_BPF_SYSCALL=y\n");
    EXPECT_TRUE(rules.explain("DEBUG_INFO_BTF", "y", c).empty());
}

TEST(KconfigRules, PromptlessOptionsAndSelectsAreExplained) {
    auto rules = KconfigRules::parse_text(kKconfig, "Kconfig");
    auto c = config("CONFIG_DEBUG_KERNEL=y\nCONFIG_X86=y\nCONFIG_HIDDEN=y\nCONFIG_SMP=y\n");
    auto hidden = rules.explain("HIDDEN", "y", c);
    ASSERT_EQ(hidden.size(), 1u);
    EXPECT_NE(hidden[0].find("has no prompt"), std::string::npos) << hidden[0];
    auto selected = rules.explain("SELECTED", "n", c);
    ASSERT_EQ(selected.size(), 1u);
    EXPECT_EQ(selected[0], "selected by HIDDEN");
    EXPECT_EQ(rules.explain("UNKNOWN", "y", c).front(), "no such option in this tree's Kconfig");
}

TEST(KconfigRules, ChoiceMembersKnowTheirSiblings) {
    auto rules = KconfigRules::parse_text(R"(
choice
	prompt "Debug information"
config DEBUG_INFO_NONE
	bool "none"
if CC_OK
config DEBUG_INFO_DWARF4
	bool "DWARF 4"
endif
config DEBUG_INFO_DWARF5
	bool "DWARF 5"
endchoice

config OUTSIDE
	bool "not in the choice"
)",
                                          "Kconfig");
    auto siblings = rules.choice_siblings("DEBUG_INFO_DWARF4");
    ASSERT_EQ(siblings.size(), 2u);
    EXPECT_EQ(siblings[0], "DEBUG_INFO_NONE");
    EXPECT_EQ(siblings[1], "DEBUG_INFO_DWARF5");
    EXPECT_TRUE(rules.choice_siblings("OUTSIDE").empty());
}

} // namespace
} // namespace kdive::lab
