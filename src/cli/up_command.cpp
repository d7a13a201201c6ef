// `kdive up`: the whole recipe in one command — kernel, rootfs, QEMU, shell.
#include "cli/commands.hpp"
#include "cli/report.hpp"
#include "lab/boot_kernel.hpp"
#include "lab/console_log.hpp"
#include "lab/default_rootfs.hpp"
#include "lab/kernel_catalog.hpp"
#include "lab/kernel_fetcher.hpp"
#include "lab/qemu_launcher.hpp"
#include "lab/session_dir.hpp"
#include "support/atomic_file.hpp"

#include <cctype>
#include <chrono>
#include <csignal>
#include <fmt/core.h>

namespace kdive::cli {

namespace {

struct UpArgs {
    std::string kernel{lab::KernelCatalog::default_name()};
    std::string mirror;
    int smp = 2;
    int mem = 1024;
    int timeout_s = 300;
};

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

// Fetches a catalog kernel unless it is already in the cache; paths are used as they are.
Result<> ensure_kernel(const UpArgs& args) {
    if (std::filesystem::exists(args.kernel)) {
        return {};
    }
    auto entry = lab::KernelCatalog::find(args.kernel);
    if (!entry) {
        return std::unexpected(entry.error());
    }
    lab::KernelFetcher fetcher({args.mirror},
                               [](std::string_view line) { fmt::print(stderr, "{}\n", line); });
    auto outcome = fetcher.fetch(*entry);
    if (!outcome) {
        return std::unexpected(outcome.error());
    }
    return {};
}

// Drops terminal escape sequences (the shell asks the terminal for its cursor position).
std::string printable(const std::string& text) {
    std::string out;
    for (size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\x1b') {
            while (i < text.size() && !std::isalpha(static_cast<unsigned char>(text[i + 1]))) {
                ++i;
            }
            ++i;
            continue;
        }
        if (text[i] != '\r') {
            out += text[i];
        }
    }
    return out;
}

std::string last_lines(const std::string& text, size_t count) {
    size_t pos = text.size();
    while (count > 0 && pos > 0) {
        pos = text.rfind('\n', pos - 1);
        if (pos == std::string::npos) {
            return text;
        }
        --count;
    }
    return text.substr(pos + 1);
}

Result<> run_up(const UpArgs& args, const sigset_t& signals) {
    auto start = Clock::now();
    if (auto r = ensure_kernel(args); !r) {
        return r;
    }
    auto kernel = lab::resolve_boot_kernel(args.kernel);
    if (!kernel) {
        return std::unexpected(kernel.error());
    }
    auto dir = lab::make_session_dir({});
    if (!dir) {
        return std::unexpected(dir.error());
    }
    lab::BootConfig config;
    config.kernel_label = args.kernel;
    config.bzimage = kernel->bzimage;
    config.vmlinux = kernel->vmlinux;
    config.dir = *dir;
    config.smp = args.smp;
    config.mem_mb = args.mem;
    config.initrd = config.dir / "rootfs.cpio.gz";
    if (auto r = lab::write_default_rootfs(config.initrd); !r) {
        return r;
    }
    auto boot_start = Clock::now();
    auto vm = lab::launch_vm(config);
    if (!vm) {
        return std::unexpected(vm.error());
    }
    const auto& session = vm->session();
    fmt::print("kernel   {} ({})\n", args.kernel, config.bzimage.string());
    fmt::print("session  {} (gdbstub {})\n", session.dir.string(), session.gdb);
    // Poll in short slices so Ctrl-C stops the VM promptly.
    auto deadline = Clock::now() + std::chrono::seconds(args.timeout_s);
    while (true) {
        auto shell = lab::wait_for_console(session.console_log, lab::shell_banner,
                                           std::chrono::milliseconds(200), session.pid);
        if (shell) {
            break;
        }
        timespec none{0, 0};
        if (int sig = sigtimedwait(&signals, nullptr, &none); sig > 0) {
            return fail("interrupted ({}); the VM was stopped", strsignal(sig));
        }
        if (!lab::is_qemu_alive(session.pid) || Clock::now() > deadline) {
            return std::unexpected(shell.error());
        }
    }
    fmt::print("shell    up {:.2f} s after QEMU started ({:.2f} s in all)\n",
               seconds_since(boot_start), seconds_since(start));
    if (auto log = read_file(session.console_log); log) {
        fmt::print("console  (last lines of {})\n{}\n", session.console_log.string(),
                   last_lines(printable(*log), 6));
    }
    if (auto r = lab::stop_session(session); !r) {
        return r;
    }
    vm->release();
    fmt::print("stopped  the VM\n");
    return {};
}

} // namespace

void register_up_command(CLI::App& app, ExitStatus& status) {
    auto args = std::make_shared<UpArgs>();
    auto* cmd = app.add_subcommand("up", "Fetch a kernel, build a rootfs, boot it to its shell");
    cmd->add_option("--kernel", args->kernel, "catalog kernel name or bzImage path")
        ->capture_default_str();
    cmd->add_option("--mirror", args->mirror, "Debian mirror (default: the host's)");
    cmd->add_option("--smp", args->smp, "virtual CPUs")->capture_default_str();
    cmd->add_option("--mem", args->mem, "memory in MB")->capture_default_str();
    cmd->add_option("--timeout", args->timeout_s, "seconds to wait for the shell")
        ->capture_default_str();
    cmd->callback([args, &status] {
        sigset_t signals;
        sigemptyset(&signals);
        for (int sig : {SIGINT, SIGTERM, SIGHUP}) {
            sigaddset(&signals, sig);
        }
        sigprocmask(SIG_BLOCK, &signals, nullptr);
        if (auto r = run_up(*args, signals); !r) {
            report_error(status, r.error());
        }
    });
}

} // namespace kdive::cli
