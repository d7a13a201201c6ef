// `kdive attach` as a user runs it: the real binary against a paused VM, in batch mode, with
// piped commands, and with Ctrl-C stopping a running guest.
#include "kernel_symbols.hpp"
#include "support/hex_text.hpp"
#include "support/subprocess.hpp"
#include "test_vm.hpp"

#include <algorithm>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace kdive::testing {
namespace {

using namespace std::chrono_literals;

ProcessOutput attach(const std::vector<std::string>& args) {
    std::vector<std::string> argv{KDIVE_BINARY, "attach"};
    argv.insert(argv.end(), args.begin(), args.end());
    RunOptions options;
    options.timeout = std::chrono::minutes(5);
    auto result = run_process(argv, options);
    EXPECT_TRUE(result) << result.error().message;
    return result ? *result : ProcessOutput{};
}

class AttachCommand : public ::testing::Test {
protected:
    void boot(std::vector<std::string> extra = {}) {
        extra.push_back("--paused");
        auto booted = TestVm::boot(test_kernel(), extra);
        ASSERT_TRUE(booted) << booted.error().message;
        vm_.emplace(std::move(*booted));
    }
    void TearDown() override {
        if (vm_)
            (void)vm_->stop();
    }
    std::string session_dir() const { return vm_->session().dir.string(); }
    std::optional<TestVm> vm_;
};

TEST_F(AttachCommand, BatchRunsToStartKernelAndLeavesGuestRunning) {
    boot({"--smp", "2"});
    auto start_kernel = symbol_address(test_kernel(), "start_kernel");
    ASSERT_TRUE(start_kernel) << start_kernel.error().message;
    auto out = attach({session_dir(), "--batch",
                       "-ex",         "info registers rip cs",
                       "-ex",         "hbreak *" + hex(*start_kernel),
                       "-ex",         "info breakpoints",
                       "-ex",         "continue",
                       "-ex",         "info registers rip",
                       "-ex",         "x/2i $rip",
                       "-ex",         "x/2gx $rsp",
                       "-ex",         "stepi",
                       "-ex",         "cpu 1",
                       "-ex",         "monitor info status"});
    EXPECT_EQ(out.exit_code, 0) << out.out << out.err;
    EXPECT_NE(out.out.find("rip            0xfff0"), std::string::npos) << out.out;
    EXPECT_NE(out.out.find("cs             0xf000"), std::string::npos) << out.out;
    EXPECT_NE(out.out.find("Hw breakpoint 1 at " + hex(*start_kernel)), std::string::npos)
        << out.out;
    EXPECT_NE(out.out.find("Breakpoint 1, " + hex(*start_kernel)), std::string::npos) << out.out;
    EXPECT_NE(out.out.find(hex(*start_kernel) + ":\t"), std::string::npos) << out.out;
    EXPECT_NE(out.out.find("[Switching to vCPU 1]"), std::string::npos) << out.out;
    EXPECT_NE(out.out.find("VM status: paused"), std::string::npos) << out.out;
    // A status line, not an answer: stderr.
    EXPECT_NE(out.err.find("Detached; the guest is running."), std::string::npos) << out.err;
    EXPECT_EQ(out.out.find("Detached"), std::string::npos) << out.out;
    // The hardware breakpoint went away with kdive: the kernel boots on.
    auto shell = vm_->wait_for("Run /init");
    EXPECT_TRUE(shell) << shell.error().message;
}

TEST_F(AttachCommand, BatchFailsWhenACommandFails) {
    boot();
    auto endpoint = vm_->session().gdb; // unix:PATH works as well as the folder
    auto out =
        attach({endpoint, "--batch", "-ex", "bogus", "-ex", "info registers rip", "-ex", "x/4x"});
    EXPECT_EQ(out.exit_code, 1);
    EXPECT_NE(out.err.find("unknown command 'bogus'"), std::string::npos) << out.err;
    EXPECT_NE(out.err.find("x: expected an address"), std::string::npos) << out.err;
    EXPECT_NE(out.out.find("rip "), std::string::npos) << out.out; // later commands still ran
}

TEST_F(AttachCommand, ClearErrorsForBadTargets) {
    auto bad = attach({"nonsense", "--batch"});
    EXPECT_NE(bad.exit_code, 0);
    EXPECT_NE(bad.err.find("'nonsense' is neither a session folder nor an endpoint"),
              std::string::npos)
        << bad.err;
    auto missing = attach({"unix:/nonexistent/kdive.sock", "--batch"});
    EXPECT_NE(missing.exit_code, 0);
    EXPECT_NE(missing.err.find("unix:/nonexistent/kdive.sock"), std::string::npos) << missing.err;
    boot();
    ::kill(vm_->session().pid, SIGKILL);
    for (int i = 0; i < 100 && lab::is_qemu_alive(vm_->session().pid); ++i)
        std::this_thread::sleep_for(50ms);
    auto dead = attach({session_dir(), "--batch"});
    EXPECT_NE(dead.exit_code, 0);
    EXPECT_NE(dead.err.find("no longer running"), std::string::npos) << dead.err;
}

// A kdive attach child with pipes on stdin and stdout.
class Interactive {
public:
    explicit Interactive(const std::string& target) {
        int in[2], out[2];
        EXPECT_EQ(::pipe2(in, O_CLOEXEC), 0);
        EXPECT_EQ(::pipe2(out, O_CLOEXEC), 0);
        pid_ = ::fork();
        if (pid_ == 0) {
            ::dup2(in[0], STDIN_FILENO);
            ::dup2(out[1], STDOUT_FILENO);
            ::execl(KDIVE_BINARY, KDIVE_BINARY, "attach", target.c_str(),
                    static_cast<char*>(nullptr));
            _exit(127);
        }
        ::close(in[0]);
        ::close(out[1]);
        to_ = in[1];
        from_ = out[0];
    }
    ~Interactive() {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
        ::close(to_);
        ::close(from_);
    }
    void send(const std::string& line) { (void)!::write(to_, line.data(), line.size()); }
    // Output so far, once it contains `text` (or the timeout passes).
    bool wait_for(const std::string& text, std::chrono::milliseconds timeout = 60s) {
        auto deadline = std::chrono::steady_clock::now() + timeout;
        while (output_.find(text) == std::string::npos) {
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0)
                return false;
            pollfd pfd{from_, POLLIN, 0};
            if (::poll(&pfd, 1, static_cast<int>(left.count())) <= 0)
                return false;
            char buffer[4096];
            ssize_t n = ::read(from_, buffer, sizeof buffer);
            if (n <= 0)
                return false;
            output_.append(buffer, static_cast<std::size_t>(n));
        }
        return true;
    }
    void interrupt() { ::kill(pid_, SIGINT); }
    int wait_exit() {
        int status = 0;
        ::waitpid(pid_, &status, 0);
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    const std::string& output() const { return output_; }

private:
    pid_t pid_ = -1;
    int to_ = -1;
    int from_ = -1;
    std::string output_;
};

TEST_F(AttachCommand, CtrlCInterruptsARunningGuest) {
    boot();
    Interactive kdive(session_dir());
    ASSERT_TRUE(kdive.wait_for("Attached to")) << kdive.output();
    kdive.send("continue\n");
    ASSERT_TRUE(kdive.wait_for("Continuing.")) << kdive.output();
    // Let the kernel get going, then press Ctrl-C.
    auto booting = vm_->wait_for("Linux version");
    EXPECT_TRUE(booting) << booting.error().message;
    kdive.interrupt();
    ASSERT_TRUE(kdive.wait_for("Interrupted")) << kdive.output();
    kdive.send("info registers rip\nquit\n");
    ASSERT_TRUE(kdive.wait_for("Detached; the guest is running.")) << kdive.output();
    EXPECT_EQ(kdive.wait_exit(), 0);
    EXPECT_NE(kdive.output().find("rip            0xffffffff"), std::string::npos)
        << kdive.output();
}

// QEMU killed while kdive waits in continue: the lost connection is reported once, the batch
// stops there (its later commands would only fail the same way) and kdive exits 1.
TEST_F(AttachCommand, ALostConnectionIsReportedOnceAndEndsTheBatch) {
    boot();
    std::thread killer([this] {
        ASSERT_TRUE(vm_->wait_for("Linux version"));
        ::kill(vm_->session().pid, SIGKILL);
    });
    auto out = attach({session_dir(), "--batch", "-ex", "continue", "-ex", "bt", "-ex", "ps"});
    killer.join();
    EXPECT_EQ(out.exit_code, 1) << out.out << out.err;
    EXPECT_EQ(out.out, "Continuing.\n");
    const std::string lost = "closed the connection";
    const auto first = out.err.find(lost);
    ASSERT_NE(first, std::string::npos) << out.err;
    EXPECT_EQ(out.err.find(lost, first + 1), std::string::npos) << out.err;
    EXPECT_EQ(std::count(out.err.begin(), out.err.end(), '\n'), 1) << out.err;
}

} // namespace
} // namespace kdive::testing
