// The recipe through `kdive attach SESSION`: break start_kernel by name, then kernel questions.
#include "lab/console_log.hpp"
#include "support/atomic_file.hpp"
#include "support/subprocess.hpp"
#include "test_vm.hpp"

#include <gtest/gtest.h>
#include <regex>
#include <string>
#include <vector>

namespace kdive::testing {
namespace {

TEST(AttachSymbols, BreakStartKernelByNameThenAskTheKernel) {
    auto vm = TestVm::boot(test_kernel(), {"--paused", "--smp", "2"});
    ASSERT_TRUE(vm) << vm.error().message;
    auto session = vm->session().dir.string();
    // At start_kernel: registers and variables are written through the stub and read back.
    auto first = run_kdive({"attach",
                            session,
                            "--batch",
                            "-ex",
                            "break start_kernel",
                            "-ex",
                            "continue",
                            "-ex",
                            "info symbol $rip",
                            "-ex",
                            "p/x $rip == start_kernel",
                            "-ex",
                            "set var $rax = 0x1234abcd",
                            "-ex",
                            "p/x $rax",
                            "-ex",
                            "set var panic_timeout = 42",
                            "-ex",
                            "p panic_timeout",
                            "-ex",
                            "delete",
                            "-ex",
                            "continue &"});
    ASSERT_TRUE(first) << first.error().message;
    EXPECT_NE(first->find("start_kernel in section .init.text"), std::string::npos) << *first;
    EXPECT_NE(first->find("in start_kernel () at init/main.c:"), std::string::npos) << *first;
    EXPECT_NE(first->find("= 0x1\n"), std::string::npos) << *first;
    EXPECT_NE(first->find("= 0x1234abcd"), std::string::npos) << *first;
    EXPECT_NE(first->find("= 42"), std::string::npos) << *first;

    auto shell = vm->wait_for(lab::shell_banner);
    ASSERT_TRUE(shell) << shell.error().message;
    auto second = run_kdive({"attach", session, "--batch", "-ex", "p $lx_current().pid", "-ex",
                             "current --json", "-ex", "p init_task.comm"});
    ASSERT_TRUE(second) << second.error().message;
    // Both CPUs, whatever each runs at that instant (an idle task, or the shell printing).
    EXPECT_NE(second->find("\"cpu\":0"), std::string::npos) << *second;
    EXPECT_NE(second->find("\"cpu\":1"), std::string::npos) << *second;
    EXPECT_NE(second->find("\"swapper/0\\000"), std::string::npos) << *second;

    // An unknown symbol names itself and fails the batch.
    auto bad = run_kdive({"attach", session, "--batch", "-ex", "break no_such_function_kdive"});
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().message.find("no_such_function_kdive"), std::string::npos)
        << bad.error().message;
    ASSERT_TRUE(vm->stop());
}

TEST(AttachSymbols, ExpressionsFollowTheKaslrOffset) {
    auto vm = TestVm::boot(test_kernel(), {"--kaslr"});
    ASSERT_TRUE(vm) << vm.error().message;
    ASSERT_TRUE(vm->wait_for(lab::shell_banner));
    auto out = run_kdive({"attach", vm->session().dir.string(), "--batch", "-ex", "version", "-ex",
                          "p init_task.comm", "-ex", "p &init_task", "-ex", "info symbol $rip",
                          "-ex", "info line start_kernel"});
    ASSERT_TRUE(out) << out.error().message;
    EXPECT_NE(out->find("KASLR offset"), std::string::npos) << *out;
    EXPECT_NE(out->find("\"swapper/0\\000"), std::string::npos) << *out;
    EXPECT_NE(out->find("<init_task>"), std::string::npos) << *out;
    EXPECT_EQ(out->find("No symbol matches"), std::string::npos) << *out;
    // Line table addresses are link-time ones; shown where the kernel runs they name the function.
    EXPECT_TRUE(
        std::regex_search(*out, std::regex("starts at address 0x[0-9a-f]+ <start_kernel[+>]")))
        << *out;
    ASSERT_TRUE(vm->stop());
}

// Each command's output in a batch transcript, by the "(kdive) COMMAND" line that echoes it.
std::vector<std::string> answers(const std::string& transcript) {
    std::vector<std::string> out;
    std::size_t at = 0;
    while ((at = transcript.find("(kdive) ", at)) != std::string::npos) {
        const std::size_t body = transcript.find('\n', at);
        const std::size_t next = transcript.find("(kdive) ", at + 1);
        out.push_back(body == std::string::npos || body > next
                          ? std::string()
                          : transcript.substr(body + 1, next == std::string::npos
                                                            ? std::string::npos
                                                            : next - body - 1));
        at += 8;
    }
    return out;
}

// The frames belong to the vCPU selected last: `cpu N` then bt full / info frame show N's
// stack, going back shows the first one again from frame 0, as a stop on that vCPU would.
TEST(AttachSymbols, FramesFollowTheSelectedVcpu) {
    auto vm = TestVm::boot(test_kernel(), {"--smp", "2"});
    ASSERT_TRUE(vm) << vm.error().message;
    ASSERT_TRUE(vm->wait_for(lab::shell_banner));
    RunOptions options;
    options.timeout = std::chrono::minutes(5);
    auto run = run_process({KDIVE_BINARY, "attach",     vm->session().dir.string(),
                            "--batch",    "--echo",     "-ex",
                            "cpu 1",      "-ex",        "info frame",
                            "-ex",        "bt full",    "-ex",
                            "up",         "-ex",        "cpu 0",
                            "-ex",        "info frame", "-ex",
                            "bt full",    "-ex",        "cpu 1",
                            "-ex",        "info frame", "-ex",
                            "bt full"},
                           options);
    ASSERT_TRUE(run) << run.error().message;
    // vCPU 1 may have been stopped where its stack is one frame (the idle loop's entry, user
    // mode): then `up` is refused, as GDB refuses it, and nothing else may fail.
    const std::string refused = "error: Initial frame selected; you cannot go up.\n";
    const auto first_error = run->err.find("error: ");
    const bool one_frame = first_error != std::string::npos &&
                           run->err.compare(first_error, refused.size(), refused) == 0 &&
                           run->err.find("error: ", first_error + 1) == std::string::npos;
    EXPECT_TRUE(run->exit_code == 0 || one_frame) << run->out << run->err;
    const std::string* out = &run->out;
    const auto parts = answers(*out);
    ASSERT_EQ(parts.size(), 10u) << *out;
    const std::string& frame1 = parts[1];
    const std::string& frame0 = parts[5];
    ASSERT_NE(frame1.find("Stack level 0, frame at 0x"), std::string::npos) << *out;
    ASSERT_NE(frame0.find("Stack level 0, frame at 0x"), std::string::npos) << *out;
    // Two idle vCPUs run on two stacks: the frames differ, and return whole on going back.
    EXPECT_NE(frame1, frame0) << *out;
    EXPECT_NE(parts[2], parts[6]) << *out;
    EXPECT_EQ(parts[8], frame1) << *out;
    EXPECT_TRUE(parts[9].starts_with(parts[2])) << *out;
    ASSERT_TRUE(vm->stop());
}

} // namespace
} // namespace kdive::testing
