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

    // kdive's own `info registers` there prints the line GDB printed, symbol included.
    auto ours = run_kdive({"up", "--kernel", test_kernel(), "--batch", "-ex", "info registers rip",
                           "-ex", "info registers rsp eflags"});
    ASSERT_TRUE(ours) << ours.error().message;
    const auto rip_line = [](const std::string& text) {
        const auto at = text.find("rip            ");
        return at == std::string::npos ? std::string("<no rip line>")
                                       : text.substr(at, text.find('\n', at) - at);
    };
    EXPECT_EQ(rip_line(*ours), rip_line(run->out)) << *ours << "\n---- GDB ----\n" << run->out;
}

} // namespace
} // namespace kdive::testing
