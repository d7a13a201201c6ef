// `kdive up --gdb`: real GDB, connected through kdive's relay, stopped at start_kernel.
#include "gdb_reference.hpp"
#include "lab/boot_kernel.hpp"
#include "lab/kernel_source.hpp"
#include "support/subprocess.hpp"
#include "test_vm.hpp"

#include <gtest/gtest.h>
#include <regex>

namespace kdive::testing {
namespace {

TEST(GdbHandoff, UpHandsGdbAVmStoppedAtStartKernel) {
    // GDB reads its commands from stdin after the handoff's own -ex commands.
    auto run = run_gdb_handoff({"--kernel", test_kernel()},
                               {"info registers rip", "p init_task.pid", "p $lx_current().pid",
                                "p $lx_current().comm", "p $lx_per_cpu(\"current_task\")->pid",
                                "kill", "quit"});
    ASSERT_TRUE(run) << run.error().message;
    EXPECT_EQ(run->exit_code, 0) << run->err;
    EXPECT_NE(run->out.find("<start_kernel>"), std::string::npos) << run->out << run->err;
    EXPECT_NE(run->out.find("$1 = 0"), std::string::npos) << run->out;
    // kdive's lx-* answer in GDB through the relay, kernel scripts or not: init_task at
    // start_kernel.
    EXPECT_NE(run->out.find("$2 = 0"), std::string::npos) << run->out;
    EXPECT_NE(run->out.find("$3 = \"swapper"), std::string::npos) << run->out;
    EXPECT_NE(run->out.find("$4 = 0\n"), std::string::npos) << run->out << run->err;
    // With the kernel's source in kdive's cache GDB shows the stop's line from it, as kdive
    // does ("951\t{"); without it, GDB's "951\tin init/main.c" or its complaint.
    std::smatch stop;
    ASSERT_TRUE(std::regex_search(run->out, stop,
                                  std::regex(R"(start_kernel \(\) at init/main\.c:(\d+)\n)")))
        << run->out;
    const std::string line = stop[1].str() + "\t";
    const auto shown = run->out.find(line, static_cast<std::size_t>(stop.position(0)));
    // GDB's first miss of a file goes to stderr ("951\tinit/main.c: No such file or directory.").
    const bool missed = run->err.find(line + "init/main.c: No such file") != std::string::npos;
    ASSERT_TRUE(shown != std::string::npos || missed) << run->out << run->err;
    const bool from_source = !missed && run->out.compare(shown + line.size(), 3, "in ") != 0;
    auto kernel = lab::resolve_boot_kernel(test_kernel());
    ASSERT_TRUE(kernel) << kernel.error().message;
    EXPECT_EQ(from_source, lab::source_tree_for_vmlinux(kernel->vmlinux).has_value()) << run->out;

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
