// Boot failures name their cause; VMs never outlive kdive.
#include "lab/console_log.hpp"
#include "lab/session.hpp"
#include "support/atomic_file.hpp"
#include "support/subprocess.hpp"
#include "test_vm.hpp"

#include <chrono>
#include <csignal>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace kdive::testing {
namespace {

using namespace std::chrono_literals;

std::string boot_error(const std::vector<std::string>& args) {
    std::vector<std::string> argv{KDIVE_BINARY, "boot"};
    argv.insert(argv.end(), args.begin(), args.end());
    RunOptions options;
    options.timeout = 60s;
    auto run = run_process(argv, options);
    if (!run) {
        return "could not run: " + run.error().message;
    }
    if (run->exit_code == 0) {
        return "unexpected success: " + run->out;
    }
    return run->err;
}

TEST(BootErrors, MissingKernelFileIsNamed) {
    TempDir dir("boot-err");
    auto err = boot_error({"--kernel", "/nonexistent/bzImage", "--state", (dir / "s").string()});
    EXPECT_NE(err.find("/nonexistent/bzImage"), std::string::npos) << err;
}

TEST(BootErrors, KernelNotFetchedSaysHowToFetch) {
    auto err = boot_error({"--kernel", "no-such-kernel-name"});
    EXPECT_NE(err.find("kdive kernel fetch no-such-kernel-name"), std::string::npos) << err;
}

TEST(BootErrors, QemuExitingEarlyShowsQemusMessage) {
    TempDir dir("boot-early");
    auto bogus = dir / "bzImage";
    ASSERT_TRUE(write_file_atomically(bogus, std::string(4096, 'x')));
    auto err = boot_error({"--kernel", bogus.string(), "--state", (dir / "s").string()});
    EXPECT_NE(err.find("QEMU exited early"), std::string::npos) << err;
    // QEMU's own message ("qemu: ..." or "qemu-system-x86_64: ...") follows.
    EXPECT_NE(err.find("qemu", err.find("QEMU exited early")), std::string::npos) << err;
    EXPECT_EQ(err.find("no message"), std::string::npos) << err;
}

TEST(BootErrors, BusyPortAndPublicAddressAreRefused) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    ASSERT_EQ(listen(fd, 1), 0);
    socklen_t len = sizeof(addr);
    getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    int port = ntohs(addr.sin_port);
    TempDir dir("boot-port");
    auto bogus = dir / "bzImage";
    ASSERT_TRUE(write_file_atomically(bogus, "x"));
    auto err =
        boot_error({"--kernel", bogus.string(), "--gdb", "tcp:127.0.0.1:" + std::to_string(port),
                    "--state", (dir / "s").string()});
    EXPECT_NE(err.find(std::to_string(port)), std::string::npos) << err;
    EXPECT_NE(err.find("not available"), std::string::npos) << err;
    close(fd);
    err = boot_error({"--kernel", bogus.string(), "--gdb", "tcp:0.0.0.0:1234"});
    EXPECT_NE(err.find("127.0.0.1"), std::string::npos) << err;
}

// Starts `kdive boot` in the foreground as a child and waits for its session to appear.
pid_t start_foreground_boot(const std::filesystem::path& state) {
    pid_t pid = fork();
    if (pid == 0) {
        int null_fd = open("/dev/null", O_RDWR);
        dup2(null_fd, 1);
        execl(KDIVE_BINARY, KDIVE_BINARY, "boot", "--kernel", test_kernel().c_str(), "--state",
              state.c_str(), static_cast<char*>(nullptr));
        _exit(127);
    }
    return pid;
}

Result<lab::Session> wait_for_session(const std::filesystem::path& state) {
    for (int i = 0; i < 600; ++i) {
        if (auto s = lab::Session::load(state); s && s->pid > 0) {
            return s;
        }
        std::this_thread::sleep_for(50ms);
    }
    return fail("no session appeared in {}", state.string());
}

bool gone_within(pid_t pid, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (!lab::is_qemu_alive(pid)) {
            return true;
        }
        std::this_thread::sleep_for(50ms);
    }
    return false;
}

TEST(BootLifecycle, KillingKdiveWithSigkillTakesTheVmDown) {
    TempDir dir("boot-kill");
    pid_t kdive = start_foreground_boot(dir / "s");
    auto session = wait_for_session(dir / "s");
    ASSERT_TRUE(session) << session.error().message;
    ASSERT_TRUE(lab::is_qemu_alive(session->pid));
    kill(kdive, SIGKILL);
    waitpid(kdive, nullptr, 0);
    EXPECT_TRUE(gone_within(session->pid, 10s)) << "QEMU pid " << session->pid << " orphaned";
    if (lab::is_qemu_alive(session->pid)) {
        kill(session->pid, SIGKILL);
    }
}

TEST(BootLifecycle, SigtermStopsTheVmAndKdiveExits) {
    TempDir dir("boot-term");
    pid_t kdive = start_foreground_boot(dir / "s");
    auto session = wait_for_session(dir / "s");
    ASSERT_TRUE(session) << session.error().message;
    ASSERT_TRUE(lab::wait_for_console(session->console_log, lab::shell_banner, 180s, session->pid));
    kill(kdive, SIGTERM);
    int status = 0;
    waitpid(kdive, &status, 0);
    EXPECT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 128 + SIGTERM);
    EXPECT_TRUE(gone_within(session->pid, 10s));
}

TEST(BootLifecycle, DetachedSessionIsStoppedOnceAndGuarded) {
    auto vm = TestVm::boot(test_kernel(), {});
    ASSERT_TRUE(vm) << vm.error().message;
    // A second boot into the same folder must not clobber the running session.
    auto err = boot_error({"--kernel", test_kernel(), "--state", vm->session().dir.string()});
    EXPECT_NE(err.find("already holds a running session"), std::string::npos) << err;
    ASSERT_TRUE(vm->stop());
    auto again = run_kdive({"stop", vm->session().dir.string()});
    ASSERT_FALSE(again);
    EXPECT_NE(again.error().message.find("is not running"), std::string::npos);
}

} // namespace
} // namespace kdive::testing
