// `kdive kconfig` names an option that did not survive and the dependency that is off.
#include "build_support.hpp"
#include "lab/kconfig_file.hpp"
#include "support/subprocess.hpp"

#include <gtest/gtest.h>

namespace kdive::testing {
namespace {

// `kdive kconfig --profile tiny ARGS...` into `out`, from the Debian 6.1 source.
Result<ProcessOutput> tiny_kconfig(const TempDir& out, const std::vector<std::string>& args) {
    auto tree = debian_61_source();
    if (!tree) {
        return std::unexpected(tree.error());
    }
    std::vector<std::string> argv{KDIVE_BINARY, "kconfig",           "--tree",    *tree,
                                  "--out",      out.path().string(), "--profile", "tiny"};
    argv.insert(argv.end(), args.begin(), args.end());
    RunOptions options;
    options.timeout = std::chrono::minutes(5);
    return run_process(argv, options);
}

TEST(KconfigReport, OptionWithDependencyOffFailsNamingTheDependency) {
    TempDir out("kconfig");
    // tinyconfig has no BPF syscall, and BTF needs it.
    auto run = tiny_kconfig(out, {"--set", "CONFIG_DEBUG_INFO_BTF=y"});
    ASSERT_TRUE(run) << run.error().message;
    EXPECT_NE(run->exit_code, 0) << run->err;
    EXPECT_NE(run->err.find("CONFIG_DEBUG_INFO_BTF: wanted y"), std::string::npos) << run->err;
    EXPECT_NE(run->err.find("depends on BPF_SYSCALL (BPF_SYSCALL=n)"), std::string::npos)
        << run->err;
    // The profile's own options all survived: BTF is the only one reported.
    EXPECT_NE(run->err.find("1 of "), std::string::npos) << run->err;
}

// The profile's options and the flags on top of them stick: RELOCATABLE off, and a choice
// member (the frame-pointer unwinder) replacing the profile's pick (ORC).
TEST(KconfigReport, FlagsAndChoiceMembersStick) {
    TempDir out("kconfig");
    auto run = tiny_kconfig(
        out, {"--no-relocatable", "--dwarf", "4", "--set", "CONFIG_UNWINDER_FRAME_POINTER=y"});
    ASSERT_TRUE(run) << run.error().message;
    EXPECT_EQ(run->exit_code, 0) << run->err;
    EXPECT_NE(run->err.find("requested options are set"), std::string::npos) << run->err;
    auto config = lab::KconfigFile::read((out.path() / ".config").string());
    ASSERT_TRUE(config) << config.error().message;
    EXPECT_EQ(config->value("RELOCATABLE").value_or("n"), "n");
    EXPECT_EQ(config->value("RANDOMIZE_BASE").value_or("n"), "n");
    EXPECT_EQ(config->value("UNWINDER_FRAME_POINTER"), "y");
    EXPECT_EQ(config->value("UNWINDER_ORC").value_or("n"), "n");
    EXPECT_EQ(config->value("DEBUG_INFO_DWARF4"), "y");
    EXPECT_EQ(config->value("GDB_SCRIPTS"), "y");
}

} // namespace
} // namespace kdive::testing
