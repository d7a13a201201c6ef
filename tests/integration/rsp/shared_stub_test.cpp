// One QEMU gdbstub shared in turn by GDB and kdive, as users do: each debugger inserts a
// breakpoint, stops on it, deletes it and detaches, whatever mode the previous one left the stub
// in (GDB turns on multiprocess, which QEMU keeps). The guest must run on afterwards.
#include "kernel_symbols.hpp"
#include "lab/qmp_client.hpp"
#include "prerequisite.hpp"
#include "support/subprocess.hpp"
#include "test_vm.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <string>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <vector>

namespace kdive::testing {
namespace {

using namespace std::chrono_literals;

// A TCP port on 127.0.0.1 that nothing listens on right now (the kernel picks it).
Result<int> free_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return fail("socket: {}", std::strerror(errno));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    int rc = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
    if (rc == 0)
        rc = ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
    ::close(fd);
    if (rc != 0)
        return fail("binding a port: {}", std::strerror(errno));
    return ntohs(address.sin_port);
}

// The guest's serial console, connected for as long as this lives: QEMU reads typed bytes only
// as fast as the UART takes them and drops what is unread when the client hangs up.
class Console {
public:
    explicit Console(const std::filesystem::path& socket) {
        fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        std::snprintf(address.sun_path, sizeof address.sun_path, "%s", socket.c_str());
        if (fd_ >= 0 &&
            ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
            ::close(fd_);
            fd_ = -1;
        }
    }
    ~Console() {
        if (fd_ >= 0)
            ::close(fd_);
    }
    Console(const Console&) = delete;
    Console& operator=(const Console&) = delete;
    bool type(const std::string& line) {
        return fd_ >= 0 &&
               ::write(fd_, line.data(), line.size()) == static_cast<ssize_t>(line.size());
    }

private:
    int fd_ = -1;
};

class SharedStub : public ::testing::Test {
protected:
    void SetUp() override {
        auto port = free_port();
        ASSERT_TRUE(port) << port.error().message;
        endpoint_ = fmt::format("127.0.0.1:{}", *port);
        auto booted =
            TestVm::boot(test_kernel(), {"--smp", "2", "--gdb", fmt::format("tcp:{}", endpoint_)});
        ASSERT_TRUE(booted) << booted.error().message;
        vm_.emplace(std::move(*booted));
        auto shell = vm_->wait_for("Run /init");
        ASSERT_TRUE(shell) << shell.error().message;
        // A function every idle guest runs within a second: the local APIC timer's handler.
        auto address = symbol_address(test_kernel(), "__sysvec_apic_timer_interrupt");
        ASSERT_TRUE(address) << address.error().message;
        break_at_ = fmt::format("{:#x}", *address);
    }
    void TearDown() override {
        if (vm_)
            (void)vm_->stop();
    }

    ProcessOutput run(const std::vector<std::string>& argv) {
        RunOptions options;
        options.timeout = std::chrono::minutes(5);
        auto result = run_process(argv, options);
        EXPECT_TRUE(result) << result.error().message;
        return result ? *result : ProcessOutput{};
    }
    ProcessOutput gdb_session() {
        return run({"gdb", "-batch", "-nx", "-iex", "set width 0", "-iex", "set height 0", "-ex",
                    "target remote " + endpoint_, "-ex", "hbreak *" + break_at_, "-ex", "continue",
                    "-ex", "info registers rip", "-ex", "delete", "-ex", "detach"});
    }
    ProcessOutput kdive_session() {
        return run({KDIVE_BINARY, "attach", endpoint_, "--batch", "-ex", "break *" + break_at_,
                    "-ex", "continue", "-ex", "info registers rip", "-ex", "delete", "-ex",
                    "info breakpoints"});
    }
    // The guest runs: QEMU says so, and its shell answers a command typed on the console.
    void expect_guest_running(int round) {
        auto qmp = lab::QmpClient::connect(vm_->session().qmp, 10s);
        ASSERT_TRUE(qmp) << qmp.error().message;
        auto status = qmp->execute("query-status");
        ASSERT_TRUE(status) << status.error().message;
        EXPECT_EQ((*status)["status"], "running") << status->dump();
        // The shell's echo of the typed line does not hold the answer: it has $((...)).
        Console console(vm_->session().console_socket);
        ASSERT_TRUE(console.type(fmt::format("echo shared-stub-$((1000+{}))\n", round)));
        auto answered = vm_->wait_for(fmt::format("shared-stub-{}", 1000 + round), 60s);
        EXPECT_TRUE(answered) << answered.error().message;
    }

    std::optional<TestVm> vm_;
    std::string endpoint_;
    std::string break_at_;
};

TEST_F(SharedStub, GdbThenKdiveThenGdbThenKdive) {
    if (find_program("gdb").empty())
        KDIVE_MISSING_PREREQUISITE() << "gdb is not installed";
    const std::string hit = "Breakpoint 1, " + break_at_;
    for (int round = 1; round <= 2; ++round) {
        auto gdb = gdb_session();
        EXPECT_EQ(gdb.exit_code, 0) << gdb.out << gdb.err;
        EXPECT_NE(gdb.out.find(hit), std::string::npos) << gdb.out << gdb.err;
        EXPECT_NE(gdb.out.find("rip            " + break_at_), std::string::npos) << gdb.out;
        expect_guest_running(2 * round - 1);

        auto kdive = kdive_session();
        EXPECT_EQ(kdive.exit_code, 0) << kdive.out << kdive.err;
        EXPECT_NE(kdive.out.find(hit), std::string::npos) << kdive.out << kdive.err;
        EXPECT_NE(kdive.out.find("rip            " + break_at_), std::string::npos) << kdive.out;
        EXPECT_NE(kdive.out.find("No breakpoints or watchpoints."), std::string::npos) << kdive.out;
        EXPECT_NE(kdive.err.find("Detached; the guest is running."), std::string::npos)
            << kdive.out << kdive.err;
        expect_guest_running(2 * round);
    }
}

} // namespace
} // namespace kdive::testing
