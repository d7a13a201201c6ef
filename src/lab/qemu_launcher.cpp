// QEMU process life cycle: arguments, fork/exec, readiness through QMP, and teardown.
#include "lab/qemu_launcher.hpp"

#include "lab/guest_ram_source.hpp"
#include "lab/qmp_client.hpp"
#include "support/atomic_file.hpp"
#include "support/subprocess.hpp"

#include <cerrno>
#include <charconv>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace kdive::lab {

namespace {

constexpr std::string_view unix_prefix = "unix:";
constexpr std::string_view tcp_prefix = "tcp:";

Result<> check_port_free(uint16_t port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return fail("socket: {}", std::strerror(errno));
    }
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int rc = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    int err = errno;
    close(fd);
    if (rc != 0) {
        return fail("gdb port 127.0.0.1:{} is not available: {}", port, std::strerror(err));
    }
    return {};
}

std::string tail_of_file(const std::filesystem::path& path, size_t max_bytes) {
    auto text = read_file(path);
    if (!text) {
        return {};
    }
    std::string out = text->size() > max_bytes ? text->substr(text->size() - max_bytes) : *text;
    while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) {
        out.pop_back();
    }
    return out;
}

// Reaps the process when it is our child (a zombie would still look alive), else polls it.
bool wait_for_exit(pid_t pid, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
        int status = 0;
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid || (r < 0 && errno == ECHILD && !is_qemu_alive(pid))) {
            return true;
        }
        if (std::chrono::steady_clock::now() >= deadline) {
            return false;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

void terminate(pid_t pid) {
    if (pid <= 0) {
        return;
    }
    kill(pid, SIGTERM);
    if (!wait_for_exit(pid, std::chrono::seconds(3))) {
        kill(pid, SIGKILL);
        wait_for_exit(pid, std::chrono::seconds(3));
    }
}

[[noreturn]] void exec_child(const BootConfig& config, const std::vector<std::string>& argv,
                             const std::filesystem::path& log, pid_t parent) {
    if (config.detach) {
        setsid();
    } else {
        // Its own process group: Ctrl-C meant for kdive or GDB must not kill the VM (unless the
        // VM's console is the terminal, where it must stay in the foreground group).
        if (!config.console_on_terminal) {
            setpgid(0, 0);
        }
        // The VM must not outlive kdive, even when kdive is killed with SIGKILL.
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) {
            _exit(127);
        }
    }
    umask(077);
    if (!config.console_on_terminal) {
        int null_fd = open("/dev/null", O_RDWR);
        dup2(null_fd, STDIN_FILENO);
        dup2(null_fd, STDOUT_FILENO);
    }
    int log_fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (log_fd >= 0) {
        dup2(log_fd, STDERR_FILENO);
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    std::vector<char*> cargv;
    cargv.reserve(argv.size() + 1);
    for (const auto& a : argv) {
        cargv.push_back(const_cast<char*>(a.c_str()));
    }
    cargv.push_back(nullptr);
    execvp(cargv[0], cargv.data());
    dprintf(STDERR_FILENO, "cannot run %s: %s\n", cargv[0], std::strerror(errno));
    _exit(127);
}

} // namespace

std::string qemu_binary(const BootConfig& config) {
    return config.qemu.empty() ? std::string(qemu_program(config.arch)) : config.qemu;
}

std::string kernel_command_line(const BootConfig& config) {
    std::string line = fmt::format("console={} panic=-1", serial_console(config.arch));
    if (!config.kaslr) {
        line += " nokaslr";
    }
    if (!config.append.empty()) {
        line += " " + config.append;
    }
    return line;
}

Result<std::string> validate_gdb_endpoint(std::string_view endpoint) {
    if (endpoint.starts_with(unix_prefix) && endpoint.size() > unix_prefix.size()) {
        return std::string(endpoint);
    }
    if (endpoint.starts_with(tcp_prefix)) {
        auto rest = endpoint.substr(tcp_prefix.size());
        auto colon = rest.rfind(':');
        if (colon == std::string_view::npos) {
            return fail("--gdb {}: expected tcp:127.0.0.1:PORT", endpoint);
        }
        auto host = rest.substr(0, colon);
        if (host != "127.0.0.1" && host != "localhost") {
            return fail("--gdb {}: the gdbstub can read and write all guest memory, so it only "
                        "listens on 127.0.0.1",
                        endpoint);
        }
        auto port_text = rest.substr(colon + 1);
        uint16_t port = 0;
        auto [ptr, ec] =
            std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
        if (ec != std::errc() || ptr != port_text.data() + port_text.size() || port == 0) {
            return fail("--gdb {}: bad port '{}'", endpoint, port_text);
        }
        return fmt::format("tcp:127.0.0.1:{}", port);
    }
    return fail("--gdb {}: expected unix:PATH or tcp:127.0.0.1:PORT", endpoint);
}

Session session_for(const BootConfig& config) {
    Session s;
    s.dir = config.dir;
    s.gdb = config.gdb.empty() ? "unix:" + (config.dir / "gdb.sock").string() : config.gdb;
    s.qmp = config.dir / "qmp.sock";
    s.console_log = config.dir / "console.log";
    if (!config.console_on_terminal) {
        s.console_socket = config.dir / "console.sock";
    }
    s.kernel = config.kernel_label;
    s.bzimage = config.bzimage;
    s.arch = config.arch;
    s.vmlinux = config.vmlinux;
    s.initrd = config.initrd;
    s.append = kernel_command_line(config);
    s.smp = config.smp;
    s.kvm = config.kvm;
    s.detached = config.detach;
    return s;
}

std::vector<std::string> qemu_arguments(const BootConfig& config, const Session& session) {
    std::vector<std::string> a = {qemu_binary(config),
                                  "-name",
                                  "kdive",
                                  "-nodefaults",
                                  "-display",
                                  "none",
                                  "-no-reboot",
                                  "-m",
                                  std::to_string(config.mem_mb),
                                  "-smp",
                                  std::to_string(config.smp)};
    if (config.arch == KernelArch::arm64) {
        // virt: RAM from 0x40000000, a PL011 UART (ttyAMA0), fw_cfg for vmcoreinfo; GICv3
        // because GICv2 stops at 8 vCPUs.
        a.insert(a.end(), {"-machine", "virt,gic-version=3"});
    }
    // Guest RAM in a memfd QEMU shares: kdive maps it and reads memory without the stub.
    const auto ram = guest_ram_arguments(config.mem_mb);
    a.insert(a.end(), ram.begin(), ram.end());
    if (config.kvm) {
        a.insert(a.end(), {"-accel", "kvm", "-cpu", config.cpu.empty() ? "host" : config.cpu});
    } else {
        // One TCG thread runs every vCPU in turn by default: all vCPUs stop at one instruction
        // boundary and a step moves one vCPU by one instruction while the others wait, which a
        // debugger wants. Multi-threaded TCG in QEMU 7.2 was once seen to oops the sid kernel
        // (set_next_task_fair, while another vCPU patched kernel text) and was not seen again
        // in later boots or test runs; the cause is not pinned down. It is a choice (--mttcg,
        // $KDIVE_MTTCG).
        a.insert(a.end(), {"-accel", config.mttcg ? "tcg,thread=multi" : "tcg,thread=single"});
        if (!config.cpu.empty()) {
            a.insert(a.end(), {"-cpu", config.cpu});
        } else if (config.arch == KernelArch::arm64) {
            // virt's own default is a 32-bit cortex-a15.
            a.insert(a.end(), {"-cpu", default_arm64_cpu});
        }
    }
    a.insert(a.end(), {"-kernel", config.bzimage.string()});
    if (!config.initrd.empty()) {
        a.insert(a.end(), {"-initrd", config.initrd.string()});
    }
    a.insert(a.end(), {"-append", session.append});
    // The serial console is logged to console.log and reachable on a socket (or the terminal).
    std::string log = ",logfile=" + session.console_log.string() + ",logappend=on";
    if (config.console_on_terminal) {
        a.insert(a.end(), {"-chardev", "stdio,id=con0,mux=on,signal=off" + log, "-serial",
                           "chardev:con0", "-mon", "chardev=con0,mode=readline"});
    } else {
        a.insert(a.end(),
                 {"-chardev",
                  "socket,id=con0,server=on,wait=off,path=" + session.console_socket.string() + log,
                  "-serial", "chardev:con0"});
    }
    if (session.gdb.starts_with(unix_prefix)) {
        a.insert(a.end(), {"-chardev",
                           "socket,id=gdb0,server=on,wait=off,path=" +
                               session.gdb.substr(unix_prefix.size()),
                           "-gdb", "chardev:gdb0"});
    } else {
        a.insert(a.end(), {"-gdb", session.gdb});
    }
    a.insert(a.end(), {"-qmp", "unix:" + session.qmp.string() + ",server=on,wait=off"});
    // The kernel (through qemu_fw_cfg) tells this device where VMCOREINFO is, and QEMU's
    // dumps include it: the kernel's release, KASLR offset and page-table root.
    a.insert(a.end(), {"-device", "vmcoreinfo"});
    if (config.paused) {
        a.push_back("-S");
    }
    return a;
}

RunningVm::RunningVm(RunningVm&& other) noexcept
    : session_(std::move(other.session_)), released_(other.released_) {
    other.released_ = true;
}

RunningVm::~RunningVm() {
    if (!released_) {
        terminate(session_.pid);
    }
}

int RunningVm::wait() {
    int status = 0;
    while (waitpid(session_.pid, &status, 0) < 0 && errno == EINTR) {
    }
    released_ = true;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

Result<RunningVm> launch_vm(const BootConfig& config, std::chrono::milliseconds ready_timeout) {
    const std::string qemu = qemu_binary(config);
    if (find_program(qemu).empty()) {
        return fail("{} not found: install {} (scripts/bootstrap.sh does)", qemu,
                    qemu_package(config.arch));
    }
    if (config.kvm && config.arch != host_arch()) {
        return fail("KVM cannot run an {} kernel on this {} host: boot it under TCG",
                    arch_name(config.arch), arch_name(host_arch()));
    }
    if (!std::filesystem::is_regular_file(config.bzimage)) {
        return fail("kernel image {} does not exist", config.bzimage.string());
    }
    if (!config.initrd.empty() && !std::filesystem::is_regular_file(config.initrd)) {
        return fail("initrd {} does not exist", config.initrd.string());
    }
    Session session = session_for(config);
    if (session.gdb.starts_with(tcp_prefix)) {
        auto port = session.gdb.substr(session.gdb.rfind(':') + 1);
        if (auto r = check_port_free(static_cast<uint16_t>(std::stoi(port))); !r) {
            return std::unexpected(r.error());
        }
    }
    for (const auto& stale : {session.qmp, session.console_socket}) {
        if (!stale.empty()) {
            std::filesystem::remove(stale);
        }
    }
    if (session.gdb.starts_with(unix_prefix)) {
        std::filesystem::remove(session.gdb.substr(unix_prefix.size()));
    }
    auto log = config.dir / "qemu.log";
    std::filesystem::remove(log);
    auto argv = qemu_arguments(config, session);
    if (auto r = write_file_atomically(config.dir / "qemu.cmdline",
                                       fmt::format("{}\n", fmt::join(argv, " ")));
        !r) {
        return std::unexpected(r.error());
    }

    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        return fail("fork: {}", std::strerror(errno));
    }
    if (pid == 0) {
        exec_child(config, argv, log, parent);
    }
    session.pid = pid;
    RunningVm vm(session);

    auto deadline = std::chrono::steady_clock::now() + ready_timeout;
    while (true) {
        int status = 0;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            vm.release();
            std::string message = tail_of_file(log, 2000);
            return fail("QEMU exited early (status {}): {}",
                        WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status),
                        message.empty() ? "no message" : message);
        }
        if (std::filesystem::exists(session.qmp)) {
            auto qmp = QmpClient::connect(session.qmp, std::chrono::seconds(5));
            if (qmp) {
                break;
            }
        }
        if (std::chrono::steady_clock::now() > deadline) {
            return fail("QEMU did not open its QMP socket {} within {} ms", session.qmp.string(),
                        ready_timeout.count());
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (session.gdb.starts_with(unix_prefix)) {
        chmod(session.gdb.substr(unix_prefix.size()).c_str(), 0600);
    }
    chmod(session.qmp.c_str(), 0600);
    if (auto r = session.save(); !r) {
        return std::unexpected(r.error());
    }
    return vm;
}

Result<> stop_session(const Session& session) {
    if (!is_qemu_alive(session.pid)) {
        return fail("session {}: QEMU (pid {}) is not running", session.dir.string(), session.pid);
    }
    if (auto qmp = QmpClient::connect(session.qmp, std::chrono::seconds(3)); qmp) {
        (void)qmp->execute("quit");
    }
    if (!wait_for_exit(session.pid, std::chrono::seconds(5))) {
        terminate(session.pid);
    }
    if (is_qemu_alive(session.pid)) {
        return fail("session {}: QEMU (pid {}) did not stop", session.dir.string(), session.pid);
    }
    return {};
}

} // namespace kdive::lab
