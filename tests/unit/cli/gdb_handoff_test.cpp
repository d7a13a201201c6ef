// The GDB command line kdive hands a session over with.
#include "cli/gdb_handoff.hpp"
#include "support/atomic_file.hpp"
#include "temp_dir.hpp"

#include <algorithm>
#include <gtest/gtest.h>

namespace kdive::cli {
namespace {

bool has(const std::vector<std::string>& args, const std::string& value) {
    return std::find(args.begin(), args.end(), value) != args.end();
}

TEST(GdbHandoff, ConnectsThroughTheRelayAndRunsToTheBreak) {
    lab::Session session;
    session.gdb = "unix:/run/s/gdb.sock";
    session.vmlinux = "/k/vmlinux";
    auto args = gdb_arguments(session, {"gdb-multiarch", true, "rest_init"}, "/bin/kdive");
    EXPECT_EQ(args.front(), "gdb-multiarch");
    EXPECT_TRUE(has(args, "/k/vmlinux"));
    EXPECT_TRUE(has(args, "target remote | /bin/kdive relay unix:/run/s/gdb.sock"));
    EXPECT_TRUE(has(args, "hbreak rest_init"));
    EXPECT_TRUE(has(args, "continue"));
    // No confirmation is left pending for the user's first command: `delete` runs with
    // confirmations off, and they are back on afterwards.
    const auto at = [&](const std::string& value) {
        return std::find(args.begin(), args.end(), value) - args.begin();
    };
    EXPECT_LT(at("set confirm off"), at("delete"));
    EXPECT_GT(at("set confirm on"), at("delete"));
    EXPECT_LT(at("set confirm on"), static_cast<std::ptrdiff_t>(args.size()));
}

TEST(GdbHandoff, LoadsTheKernelsLxScriptsWhenPresent) {
    testing::TempDir dir("gdb-scripts");
    ASSERT_TRUE(write_file_atomically(dir / "vmlinux-gdb.py", "# scripts\n"));
    lab::Session session;
    session.gdb = "tcp:127.0.0.1:1234";
    session.vmlinux = dir / "vmlinux";
    auto args = gdb_arguments(session, {}, "/bin/kdive");
    EXPECT_TRUE(has(args, "source " + (dir / "vmlinux-gdb.py").string()));
    EXPECT_FALSE(has(args, "continue"));
}

} // namespace
} // namespace kdive::cli
