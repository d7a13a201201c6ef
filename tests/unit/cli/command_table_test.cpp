// The command table: GDB's rules for the words that name commands, help from the same table.
#include "cli/command_table.hpp"

#include <gtest/gtest.h>

namespace kdive::cli {
namespace {

const CommandTable& table() {
    return CommandTable::repl();
}

std::string spelt(std::string_view line) {
    auto out = table().spell_out(line);
    return out ? *out : "error: " + out.error().message;
}

TEST(CommandTable, AliasesAndUniquePrefixesAreSpeltOut) {
    EXPECT_EQ(spelt("bt 1"), "backtrace 1");
    EXPECT_EQ(spelt("where"), "backtrace");
    EXPECT_EQ(spelt("i r rip"), "info registers rip");
    EXPECT_EQ(spelt("info thr"), "info threads");
    EXPECT_EQ(spelt("fin"), "finish");
    EXPECT_EQ(spelt("p/x init_task.pid"), "print/x init_task.pid");
    EXPECT_EQ(spelt("x/4gx $rsp"), "x/4gx $rsp");
    EXPECT_EQ(spelt("lx-ps --json"), "ps --json");
    EXPECT_EQ(spelt("!ls /"), "shell ls /");
    EXPECT_EQ(spelt("hb start_kernel"), "hbreak start_kernel");
    // crash's names for the same commands.
    EXPECT_EQ(spelt("mod --json"), "lsmod --json");
    EXPECT_EQ(spelt("mount"), "mounts");
    EXPECT_EQ(spelt("log -T"), "log -T");
    // A word no command starts with is left for the unknown-command error.
    EXPECT_EQ(spelt("bogus 1"), "bogus 1");
}

TEST(CommandTable, APrefixOfSeveralIsAmbiguousAndAliasesAreWholeWords) {
    EXPECT_EQ(spelt("wh"), "whatis"); // "where" is an alias: only whole
    EXPECT_NE(spelt("s").find("step"), std::string::npos);
    EXPECT_NE(spelt("sh").find("Ambiguous command \"sh\": show, shell"), std::string::npos);
    EXPECT_NE(spelt("d").find("delete"), std::string::npos); // the alias wins over down, detach
    EXPECT_NE(spelt("de").find("Ambiguous command \"de\": delete, dev, detach"), std::string::npos)
        << spelt("de");
    EXPECT_EQ(spelt("e"), "e"); // exit is an alias: "e" does not quit
    EXPECT_NE(spelt("info l").find("Ambiguous info command \"l\": locals, line"),
              std::string::npos);
}

TEST(CommandTable, HelpListsEveryCommandAndOneCommandsUsage) {
    const std::string all = table().help();
    for (const char* name : {"continue (c, cont)", "backtrace (bt, where)", "ps (lx-ps)",
                             "info threads", "shell (!)", "ptype", "list (l)"}) {
        EXPECT_NE(all.find(name), std::string::npos) << name;
    }
    auto one = table().help("bt");
    ASSERT_TRUE(one);
    EXPECT_TRUE(one->starts_with("Usage: backtrace")) << *one;
    EXPECT_NE(one->find("Aliases: bt, where."), std::string::npos) << *one;
    auto info = table().help("info");
    ASSERT_TRUE(info);
    EXPECT_NE(info->find("info registers [NAME...]"), std::string::npos) << *info;
    auto sub = table().help("i r");
    ASSERT_TRUE(sub);
    EXPECT_TRUE(sub->starts_with("Usage: info registers")) << *sub;
    EXPECT_FALSE(table().help("bogus"));
}

TEST(CommandTable, NamesForCompletion) {
    EXPECT_EQ(table().names_starting("fin"), std::vector<std::string>{"finish"});
    EXPECT_EQ(table().names_starting("thr", "info"), std::vector<std::string>{"threads"});
    const auto lx = table().names_starting("lx-");
    EXPECT_NE(std::find(lx.begin(), lx.end(), "lx-dmesg"), lx.end());
}

} // namespace
} // namespace kdive::cli
