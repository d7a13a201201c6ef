// `kdive up --gdb`: real GDB, connected through kdive's relay, stopped at start_kernel.
#include "support/subprocess.hpp"
#include "test_vm.hpp"

#include <gtest/gtest.h>

namespace kdive::testing {
namespace {

TEST(GdbHandoff, UpHandsGdbAVmStoppedAtStartKernel) {
    RunOptions options;
    options.timeout = std::chrono::minutes(5);
    // GDB reads its commands from stdin after the handoff's own -ex commands.
    auto run = run_process({"sh", "-c",
                            "printf 'info registers rip\\np init_task.pid\\nkill\\nquit\\n' | " +
                                std::string(KDIVE_BINARY) + " up --gdb --kernel " + test_kernel()},
                           options);
    ASSERT_TRUE(run) << run.error().message;
    EXPECT_EQ(run->exit_code, 0) << run->err;
    EXPECT_NE(run->out.find("<start_kernel>"), std::string::npos) << run->out << run->err;
    EXPECT_NE(run->out.find("$1 = 0"), std::string::npos) << run->out;
}

} // namespace
} // namespace kdive::testing
