// `kdive up --gdb`: real GDB, connected through kdive's relay, stopped at start_kernel.
#include "gdb_reference.hpp"
#include "support/subprocess.hpp"
#include "test_vm.hpp"

#include <gtest/gtest.h>

namespace kdive::testing {
namespace {

TEST(GdbHandoff, UpHandsGdbAVmStoppedAtStartKernel) {
    // GDB reads its commands from stdin after the handoff's own -ex commands.
    auto run = run_gdb_handoff({"--kernel", test_kernel()},
                               {"info registers rip", "p init_task.pid", "kill", "quit"});
    ASSERT_TRUE(run) << run.error().message;
    EXPECT_EQ(run->exit_code, 0) << run->err;
    EXPECT_NE(run->out.find("<start_kernel>"), std::string::npos) << run->out << run->err;
    EXPECT_NE(run->out.find("$1 = 0"), std::string::npos) << run->out;
}

} // namespace
} // namespace kdive::testing
