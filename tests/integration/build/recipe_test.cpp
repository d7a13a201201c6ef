// The whole recipe on a kernel built here: source, tiny config, build, boot, break at
// start_kernel, `current`, and the tree's own lx-scripts answering in GDB.
#include "build_support.hpp"
#include "lab/kconfig_profiles.hpp"
#include "lab/kernel_tree.hpp"
#include "support/cache_dir.hpp"
#include "support/subprocess.hpp"

#include <cstdint>
#include <filesystem>
#include <fmt/format.h>
#include <gtest/gtest.h>

namespace kdive::testing {
namespace {

namespace fs = std::filesystem;

// Builds once per machine: the folder is named by source version and profile, and
// `kdive build` marks it complete only after a successful build.
Result<fs::path> tiny_build(const std::string& tree) {
    auto kernel_tree = lab::KernelTree::open(tree, {});
    if (!kernel_tree) {
        return std::unexpected(kernel_tree.error());
    }
    auto version = kernel_tree->version();
    if (!version) {
        return std::unexpected(version.error());
    }
    // The profile's text is part of the name: a changed profile builds afresh.
    auto profile = lab::find_kconfig_profile("tiny");
    if (!profile) {
        return std::unexpected(profile.error());
    }
    std::uint32_t hash = 2166136261u; // FNV-1a
    for (char c : lab::kconfig_profile_text(*profile, 5)) {
        hash = (hash ^ static_cast<unsigned char>(c)) * 16777619u;
    }
    fs::path out = cache_dir() / "builds" / fmt::format("{}-tiny-{:08x}", *version, hash);
    if (fs::exists(out / ".kdive-build-objects") && fs::exists(out / "vmlinux-gdb.py")) {
        return out;
    }
    RunOptions options;
    options.timeout = std::chrono::minutes(45);
    auto configured = run_checked(
        {KDIVE_BINARY, "kconfig", "--tree", tree, "--out", out.string(), "--profile", "tiny"},
        options);
    if (!configured) {
        return std::unexpected(configured.error());
    }
    auto built = run_checked(
        {KDIVE_BINARY, "build", "--tree", tree, "--out", out.string(), "-j", "2"}, options);
    if (!built) {
        return std::unexpected(built.error());
    }
    return out;
}

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
    RunOptions options;
    options.timeout = std::chrono::minutes(10);
    // GDB reads these after the handoff's own commands, stopped at start_kernel.
    auto run = run_process({"sh", "-c",
                            "printf 'p $lx_current().pid\\nlx-version\\nkill\\nquit\\n' | " +
                                std::string(KDIVE_BINARY) + " up --gdb --tree " + *tree +
                                " --out " + out->string()},
                           options);
    ASSERT_TRUE(run) << run.error().message;
    EXPECT_EQ(run->exit_code, 0) << run->err;
    EXPECT_NE(run->out.find("hit Breakpoint 1, start_kernel ()"), std::string::npos)
        << run->out << run->err;
    EXPECT_NE(run->out.find("$1 = 0"), std::string::npos) << run->out << run->err;
    EXPECT_NE(run->out.find("Linux version 6.1."), std::string::npos) << run->out << run->err;
}

} // namespace
} // namespace kdive::testing
