// The whole recipe on a kernel built here: source, tiny config, build, boot, break at
// start_kernel, `current`, and the tree's own lx-scripts answering in GDB.
#include "build_support.hpp"
#include "gdb_reference.hpp"
#include "support/subprocess.hpp"

#include <filesystem>
#include <gtest/gtest.h>

namespace kdive::testing {
namespace {

namespace fs = std::filesystem;

TEST(BuildRecipe, TinyKernelBootsToTheShellAndAnswers) {
    auto tree = debian_61_source();
    ASSERT_TRUE(tree) << tree.error().message;
    auto out = tiny_build(*tree);
    ASSERT_TRUE(out) << out.error().message;
    EXPECT_TRUE(fs::exists(*out / "arch/x86/boot/bzImage"));

    // up: boot paused, hardware breakpoint at start_kernel, then the tour (shell, current).
    RunOptions options;
    options.timeout = std::chrono::minutes(10);
    auto up = run_process(
        {KDIVE_BINARY, "up", "--tree", *tree, "--out", out->string(), "--batch", "--smp", "2"},
        options);
    ASSERT_TRUE(up) << up.error().message;
    EXPECT_EQ(up->exit_code, 0) << up->out << up->err;
    EXPECT_NE(up->out.find("stopped  at start_kernel"), std::string::npos) << up->out;
    EXPECT_NE(up->out.find("shell    up"), std::string::npos) << up->out << up->err;
    EXPECT_NE(up->out.find("(kdive) current"), std::string::npos) << up->out;
    EXPECT_EQ(up->err.find("error:"), std::string::npos) << up->out << up->err;
}

TEST(BuildRecipe, TreeGdbScriptsAnswerInGdb) {
    auto tree = debian_61_source();
    ASSERT_TRUE(tree) << tree.error().message;
    auto out = tiny_build(*tree);
    ASSERT_TRUE(out) << out.error().message;
    // GDB reads these after the handoff's own commands, stopped at start_kernel.
    auto run = run_gdb_handoff({"--tree", *tree, "--out", out->string()},
                               {"p $lx_current().pid", "lx-version", "kill", "quit"},
                               std::chrono::minutes(10));
    ASSERT_TRUE(run) << run.error().message;
    EXPECT_EQ(run->exit_code, 0) << run->err;
    EXPECT_NE(run->out.find("hit Breakpoint 1, start_kernel ()"), std::string::npos)
        << run->out << run->err;
    EXPECT_NE(run->out.find("$1 = 0"), std::string::npos) << run->out << run->err;
    EXPECT_NE(run->out.find("Linux version 6.1."), std::string::npos) << run->out << run->err;
}

} // namespace
} // namespace kdive::testing
