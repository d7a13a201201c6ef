// `kdive up` and `kdive up --gdb` as a person meets them: on a terminal (a pseudo-terminal here),
// typing, Ctrl-C and closing the terminal.
#include "lab/console_log.hpp"
#include "lab/session.hpp"
#include "pty_process.hpp"
#include "test_vm.hpp"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <gtest/gtest.h>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <vector>

namespace kdive::testing {
namespace {

using namespace std::chrono_literals;

// The QEMU pid of the session whose folder `kdive up` names on its terminal.
int qemu_pid(const std::string& output) {
    std::smatch match;
    static const std::regex folder(R"(session  (\S+) )");
    if (!std::regex_search(output, match, folder)) {
        return -1;
    }
    auto session = lab::Session::load(match[1].str());
    return session ? session->pid : -1;
}

bool gone_within(int pid, std::chrono::seconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (::kill(pid, 0) != 0 && errno == ESRCH) {
            return true;
        }
        std::this_thread::sleep_for(50ms);
    }
    return false;
}

// `kdive attach` on a terminal, at its first prompt; `error` says why not.
struct AttachedTerminal {
    std::optional<TestVm> vm;
    std::unique_ptr<PtyProcess> kdive;
    std::string error;
};

AttachedTerminal attach_on_a_terminal() {
    AttachedTerminal out;
    auto vm = TestVm::boot(test_kernel(), {});
    if (!vm) {
        out.error = vm.error().message;
        return out;
    }
    out.vm.emplace(std::move(*vm));
    if (!out.vm->wait_for(lab::shell_banner)) {
        out.error = "no shell banner on the guest's console";
        return out;
    }
    out.kdive = std::make_unique<PtyProcess>(
        std::vector<std::string>{KDIVE_BINARY, "attach", out.vm->session().dir.string()});
    if (!out.kdive->started() || !out.kdive->wait_for("(kdive) ", 2min)) {
        out.error = "no (kdive) prompt: " + out.kdive->output();
    }
    return out;
}

// `quit` ends kdive with status 0.
void expect_clean_quit(PtyProcess& kdive) {
    kdive.type("quit\n");
    auto status = kdive.wait_exit(1min);
    ASSERT_TRUE(status) << kdive.output();
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << kdive.output();
}

// The hand-over leaves GDB at a clean prompt at start_kernel (no confirmation pending that
// would eat the first command), and closing the terminal ends GDB, kdive and the VM.
TEST(Terminal, UpGdbGivesACleanPromptAndHangUpEndsEverything) {
    PtyProcess up({KDIVE_BINARY, "up", "--gdb", "--kernel", test_kernel()});
    ASSERT_TRUE(up.started());
    ASSERT_TRUE(up.wait_for("start_kernel", 5min)) << up.output();
    ASSERT_TRUE(up.wait_for("(gdb) ", 2min)) << up.output();
    const int qemu = qemu_pid(up.output());
    ASSERT_GT(qemu, 0) << up.output();
    up.type("p 1+1\n");
    ASSERT_TRUE(up.wait_for("$1 = 2", 60s)) << up.output();
    EXPECT_EQ(up.output().find("answer y or n"), std::string::npos) << up.output();
    // kdive's lx-* answer in GDB at start_kernel and on a running system after Ctrl-C.
    up.type("p $lx_current().pid\n");
    ASSERT_TRUE(up.wait_for("$2 = 0", 2min)) << up.output();
    up.type("continue\n");
    ASSERT_TRUE(up.wait_for("Continuing.", 60s)) << up.output();
    std::this_thread::sleep_for(8s);
    up.ctrl_c();
    ASSERT_TRUE(up.wait_for("(gdb) ", 60s)) << up.output();
    up.type("p $lx_current().pid == $lx_per_cpu(\"current_task\")->pid\n");
    ASSERT_TRUE(up.wait_for("$3 = 1", 60s)) << up.output();
    up.type("set height 0\n"); // the lists below are longer than the terminal
    up.type("lx-ps\n");
    ASSERT_TRUE(up.wait_for(" kthreadd", 60s)) << up.output();
    // GDB talks to kdive serve: the kernel's tasks are its threads.
    up.type("info threads\n");
    ASSERT_TRUE(up.wait_for("Thread 2 \"kthreadd\" (kthreadd [pid 2, CPU ", 60s)) << up.output();

    const auto hung_up = std::chrono::steady_clock::now();
    up.hang_up();
    EXPECT_TRUE(up.wait_exit(60s)) << "kdive still runs after the hang-up";
    EXPECT_TRUE(gone_within(qemu, 60s)) << "QEMU " << qemu << " outlived the hang-up";
    RecordProperty("hang_up_to_qemu_gone_ms",
                   static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::steady_clock::now() - hung_up)
                                        .count()));
}

// In `kdive up`'s own REPL Ctrl-C interrupts a running guest, as in `kdive attach`.
TEST(Terminal, CtrlCInterruptsContinueInUp) {
    PtyProcess up({KDIVE_BINARY, "up", "--kernel", test_kernel()});
    ASSERT_TRUE(up.started());
    ASSERT_TRUE(up.wait_for("(kdive) delete", 5min)) << up.output();
    ASSERT_TRUE(up.wait_for("(kdive) ", 60s)) << up.output();
    up.type("continue\n");
    ASSERT_TRUE(up.wait_for("Continuing.", 60s)) << up.output();
    std::this_thread::sleep_for(3s);
    up.ctrl_c();
    ASSERT_TRUE(up.wait_for("Interrupted", 60s)) << up.output();
    ASSERT_TRUE(up.wait_for("(kdive) ", 60s)) << up.output();
    up.type("p $lx_current().pid\n");
    ASSERT_TRUE(up.wait_for("$1 = ", 60s)) << up.output();
    up.type("quit\n");
    auto status = up.wait_exit(2min);
    ASSERT_TRUE(status) << up.output();
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << up.output();
}

// kdive attach's REPL on a terminal: help from the command table, GDB's abbreviations and
// aliases, Tab completing commands, info subcommands, types, symbols and members, and shell.
TEST(Repl, HelpAbbreviationsAndCompletionOnATerminal) {
    auto terminal = attach_on_a_terminal();
    ASSERT_TRUE(terminal.error.empty()) << terminal.error;
    PtyProcess& kdive = *terminal.kdive;

    kdive.type("help\n");
    ASSERT_TRUE(kdive.wait_for("backtrace (bt, where)", 30s)) << kdive.output();
    ASSERT_TRUE(kdive.wait_for("ps (lx-ps)", 30s)) << kdive.output();
    kdive.type("help where\n");
    ASSERT_TRUE(kdive.wait_for("Usage: backtrace [full]", 30s)) << kdive.output();

    // An abbreviation: "i r rip" is info registers rip.
    kdive.type("i r rip\n");
    ASSERT_TRUE(kdive.wait_for("rip            0xffffffff", 30s)) << kdive.output();

    // The line editor redraws what Tab changed with cursor movements, so each completion is
    // checked by what the completed command answers (the typed text alone would not).
    kdive.type("info thr\t\n");
    ASSERT_TRUE(kdive.wait_for("* 0    vCPU 0", 30s)) << kdive.output();
    // A struct's name after "struct".
    kdive.type("ptype struct task_str\t\n");
    ASSERT_TRUE(kdive.wait_for("type = struct task_struct {", 60s)) << kdive.output();
    // A symbol (whether Tab adds a space after it depends on whether other symbols start with
    // it, so the expression works either way), then a member after '.': "pi" starts several
    // members, which are listed; "pid_l" is one of them.
    kdive.type("p sizeof(init_tas\t");
    std::this_thread::sleep_for(1s);
    kdive.type(") > 1000\n");
    ASSERT_TRUE(kdive.wait_for(" = 1\r\n", 60s)) << kdive.output();
    kdive.type("p init_task.pi\t");
    ASSERT_TRUE(kdive.wait_for("pi_lock", 60s)) << kdive.output();
    ASSERT_TRUE(kdive.wait_for("pid_links", 60s)) << kdive.output();
    kdive.type("d_l\t\n");
    ASSERT_TRUE(kdive.wait_for("pprev = ", 60s)) << kdive.output();

    kdive.type("shell echo kdive-shell-$((6*7))\n");
    ASSERT_TRUE(kdive.wait_for("kdive-shell-42", 30s)) << kdive.output();
    expect_clean_quit(kdive);
}

// Python in the REPL on a terminal: the console with `prog` bound, Ctrl-C ending a Python loop
// and a waiting cont() (the guest stops, the prompt comes back), Ctrl-D back to kdive, and the
// `python` command sharing the console's names. Built without Python, there is nothing to test.
TEST(Repl, PythonConsoleAndCtrlCOnATerminal) {
    auto terminal = attach_on_a_terminal();
    ASSERT_TRUE(terminal.error.empty()) << terminal.error;
    PtyProcess& kdive = *terminal.kdive;
    kdive.type("python-interactive\n");
    ASSERT_TRUE(kdive.wait_for(">>> ", 60s) || kdive.wait_for("without Python", 1s))
        << kdive.output();
    if (kdive.output().find("without Python") != std::string::npos) {
        GTEST_SKIP() << "kdive was built without Python";
    }
    kdive.type("print('tasks:', len(kdive.for_each_task(prog)) > 10)\n");
    ASSERT_TRUE(kdive.wait_for("tasks: True", 60s)) << kdive.output();
    kdive.type("while True: pass\n\n");
    std::this_thread::sleep_for(2s);
    kdive.ctrl_c();
    ASSERT_TRUE(kdive.wait_for("KeyboardInterrupt", 30s)) << kdive.output();
    kdive.type("stops = []\n");
    kdive.type("stops.append(prog.cont())\n");
    std::this_thread::sleep_for(3s);
    kdive.ctrl_c();
    ASSERT_TRUE(kdive.wait_for("KeyboardInterrupt", 60s)) << kdive.output();
    // Ctrl-D at the console's next prompt, as a person types it: back to kdive, the guest
    // stopped by the interrupt.
    ASSERT_TRUE(kdive.wait_for(">>> ", 30s)) << kdive.output();
    std::this_thread::sleep_for(1s);
    kdive.type("\x04");
    ASSERT_TRUE(kdive.wait_for("(kdive) ", 60s)) << kdive.output();
    kdive.type("p $lx_current().pid >= 0\n");
    ASSERT_TRUE(kdive.wait_for("$1 = 1", 60s)) << kdive.output();
    kdive.type("python print('kept', stops, prog.live)\n");
    ASSERT_TRUE(kdive.wait_for("kept [] True", 60s)) << kdive.output();
    expect_clean_quit(kdive);
}

} // namespace
} // namespace kdive::testing
