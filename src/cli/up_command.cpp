// `kdive up`: the whole recipe in one command — kernel, rootfs, QEMU paused, attach,
// break at start_kernel, then a REPL or a short tour of what the kernel is doing.
#include "arch/kernel_translator.hpp"
#include "cli/commands.hpp"
#include "cli/debugger_stack.hpp"
#include "cli/gdb_handoff.hpp"
#include "cli/gdb_style_args.hpp"
#include "cli/interrupt_flag.hpp"
#include "cli/repl.hpp"
#include "cli/report.hpp"
#include "lab/boot_kernel.hpp"
#include "lab/console_log.hpp"
#include "lab/default_rootfs.hpp"
#include "lab/guest_ram_source.hpp"
#include "lab/kernel_catalog.hpp"
#include "lab/kernel_fetcher.hpp"
#include "lab/kernel_gdb_scripts.hpp"
#include "lab/kernel_tree.hpp"
#include "lab/qemu_launcher.hpp"
#include "lab/session_dir.hpp"
#include "rsp/endpoint.hpp"
#include "support/atomic_file.hpp"
#include "support/cache_dir.hpp"
#include "target/rsp_target.hpp"

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fmt/core.h>
#include <unistd.h>

namespace kdive::cli {

namespace {

struct UpArgs {
    std::string kernel{lab::KernelCatalog::default_name()};
    std::string mirror;
    std::string break_at = "start_kernel";
    std::vector<std::string> commands;
    bool batch = false;
    std::string gdb;  // non-empty: hand over to this GDB instead of kdive's own debugger
    std::string tree; // a kernel source tree built with `kdive build`, instead of --kernel
    std::string out;  // its build folder (O=)
    int smp = 2;
    int mem = 1024;
    std::string cpu;
    bool mttcg = false;
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

// The bzImage and vmlinux of a built tree (--tree), or of a catalog kernel, fetched if needed.
Result<lab::BootKernel> pick_kernel(const UpArgs& args) {
    if (!args.tree.empty()) {
        auto tree = lab::KernelTree::open(args.tree, args.out);
        if (!tree) {
            return std::unexpected(tree.error());
        }
        return tree->built();
    }
    if (auto r = ensure_kernel(args); !r) {
        return std::unexpected(r.error());
    }
    return lab::resolve_boot_kernel(args.kernel);
}

// Lets the signals blocked during the boot through while the debugger runs: its watchers
// record them, so Ctrl-C interrupts a `continue` and SIGTERM/SIGHUP end the session through
// detach and stop_session. Blocked again on scope exit.
class SignalsDelivered {
public:
    explicit SignalsDelivered(const sigset_t& signals) : signals_(signals) {
        sigprocmask(SIG_UNBLOCK, &signals_, nullptr);
    }
    ~SignalsDelivered() { sigprocmask(SIG_BLOCK, &signals_, nullptr); }
    SignalsDelivered(const SignalsDelivered&) = delete;
    SignalsDelivered& operator=(const SignalsDelivered&) = delete;

private:
    sigset_t signals_;
};

// Waits for the shell banner in short slices so a signal stops everything promptly.
Result<> wait_for_shell(const lab::Session& session, std::chrono::seconds timeout) {
    auto deadline = Clock::now() + timeout;
    while (true) {
        auto shell = lab::wait_for_console(session.console_log, lab::shell_banner,
                                           std::chrono::milliseconds(200), session.pid);
        if (shell) {
            return {};
        }
        if (take_interrupt_request()) {
            return fail("interrupted ({}); the VM was stopped", strsignal(SIGINT));
        }
        if (int sig = termination_signal(); sig != 0) {
            return fail("interrupted ({}); the VM was stopped", strsignal(sig));
        }
        if (!lab::is_qemu_alive(session.pid) || Clock::now() > deadline) {
            return std::unexpected(shell.error());
        }
    }
}

// While on, whatever goes to stdout goes to stderr: `up --batch -ex CMD` keeps stdout for the
// answers to CMD, and its own set-up and status lines are still seen.
class StdoutToStderr {
public:
    explicit StdoutToStderr(bool on) {
        if (on) {
            (void)std::fflush(stdout);
            saved_ = dup(STDOUT_FILENO);
            if (saved_ >= 0 && dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
                close(saved_);
                saved_ = -1;
            }
        }
    }
    StdoutToStderr(const StdoutToStderr&) = delete;
    StdoutToStderr& operator=(const StdoutToStderr&) = delete;
    ~StdoutToStderr() { off(); }
    void off() {
        if (saved_ >= 0) {
            (void)std::fflush(stdout);
            (void)dup2(saved_, STDOUT_FILENO);
            close(saved_);
            saved_ = -1;
        }
    }

private:
    int saved_ = -1;
};

// Runs one command of the tour, printing it the way a user would have typed it (unless `echo`
// is off); none after SIGTERM/SIGHUP.
bool tour_step(DebuggerSession& session, const std::string& command, bool echo = true) {
    if (termination_signal() != 0) {
        return false;
    }
    if (echo) {
        fmt::print("(kdive) {}\n", command);
    }
    (void)std::fflush(stdout);
    auto ok = session.execute(command);
    (void)std::fflush(stdout);
    if (!ok) {
        print_command_error(ok.error().message);
    }
    return ok.has_value();
}

// Output of a kernel command cut to its first or last lines.
void print_excerpt(KernelCommands& kernel, const std::string& command, size_t lines, bool head) {
    fmt::print("(kdive) {}\n", command);
    auto out = kernel.run(command);
    if (!out || !*out) {
        print_command_error(out ? (*out).error().message : "not a kernel command");
        return;
    }
    const std::string text = printable(**out);
    std::vector<std::string_view> all;
    for (size_t pos = 0; pos < text.size();) {
        size_t end = text.find('\n', pos);
        end = end == std::string::npos ? text.size() : end;
        all.push_back(std::string_view(text).substr(pos, end - pos));
        pos = end + 1;
    }
    size_t from = head ? 0 : (all.size() > lines ? all.size() - lines : 0);
    size_t to = head ? std::min(lines, all.size()) : all.size();
    if (!head && from > 0) {
        fmt::print("  ... {} earlier lines\n", from);
    }
    for (size_t i = from; i < to; ++i) {
        fmt::print("{}\n", all[i]);
    }
    if (head && to < all.size()) {
        fmt::print("  ... {} more lines\n", all.size() - to);
    }
}

// The error that ends `up` after SIGTERM/SIGHUP, once the VM is stopped.
Result<> terminated() {
    return fail("{}: detached and stopped the VM", strsignal(termination_signal()));
}

Result<> run_up(const UpArgs& args, const sigset_t& signals) {
    auto start = Clock::now();
    const bool answers_only = args.batch && !args.commands.empty();
    StdoutToStderr setup_lines(answers_only);
    auto kernel = pick_kernel(args);
    if (!kernel) {
        return std::unexpected(kernel.error());
    }
    if (kernel->vmlinux.empty()) {
        return fail("no vmlinux with debug info beside {}", kernel->bzimage.string());
    }
    auto dir = lab::make_session_dir({});
    if (!dir) {
        return std::unexpected(dir.error());
    }
    lab::BootConfig config;
    config.kernel_label = args.tree.empty() ? args.kernel : kernel->bzimage.string();
    config.bzimage = kernel->bzimage;
    config.vmlinux = kernel->vmlinux;
    config.arch = kernel->arch;
    config.dir = *dir;
    config.smp = args.smp;
    config.mem_mb = args.mem;
    config.cpu = args.cpu;
    config.mttcg = args.mttcg || std::getenv("KDIVE_MTTCG") != nullptr;
    config.paused = true;
    config.initrd = config.dir / "rootfs.cpio.gz";
    if (auto r = lab::write_default_rootfs(
            config.initrd, lab::default_rootfs_modules(config.vmlinux), config.arch,
            [](std::string_view line) { fmt::print(stderr, "{}\n", line); });
        !r) {
        return r;
    }
    auto vm = lab::launch_vm(config);
    if (!vm) {
        return std::unexpected(vm.error());
    }
    const auto& session = vm->session();
    fmt::print("kernel   {} ({})\n", config.kernel_label, config.bzimage.string());
    fmt::print("session  {} (gdbstub {}, console {})\n", session.dir.string(), session.gdb,
               session.console_log.string());

    if (!args.gdb.empty()) {
        if (args.tree.empty() && !std::filesystem::exists(args.kernel)) {
            // The lx-scripts come from the kernel's Debian source when that is in the cache.
            auto scripts = lab::prepare_gdb_scripts(args.kernel, false, [](std::string_view line) {
                fmt::print(stderr, "{}\n", line);
            });
            if (!scripts) {
                fmt::print(stderr, "note: no lx-scripts: {}\n", scripts.error().message);
            }
        }
        // GDB itself runs to the breakpoint: QEMU describes the 64-bit layout from the reset
        // vector on, so no architecture dance is needed.
        auto code = run_gdb(session, GdbHandoff{args.gdb, true, args.break_at});
        (void)lab::stop_session(session);
        vm->release();
        if (!code) {
            return std::unexpected(code.error());
        }
        return {};
    }
    auto endpoint = rsp::Endpoint::parse(session.gdb);
    if (!endpoint) {
        return std::unexpected(endpoint.error());
    }
    auto target = target::RspTarget::attach(*endpoint);
    if (!target) {
        return std::unexpected(target.error());
    }
    // Reads from the VM's RAM mapped into kdive; the stub when that is not possible.
    if (auto ram = lab::map_guest_ram(session)) {
        (*target)->set_direct_memory(std::move(*ram), arch::live_kernel_translator(**target));
    }
    DebuggerOptions options;
    options.stop_timeout = std::chrono::seconds(args.timeout_s);
    options.batch = args.batch;
    auto stack = DebuggerStack::create(**target, config.vmlinux, options);
    if (!stack) {
        return std::unexpected(stack.error());
    }
    DebuggerSession& debugger = (*stack)->session();
    SigintWatcher sigint;
    TerminationWatcher termination;
    const SignalsDelivered delivered(signals);

    // A hardware breakpoint: before paging is on, the kernel's text cannot be patched.
    if (!tour_step(debugger, "hbreak " + args.break_at) || !tour_step(debugger, "continue") ||
        termination_signal() != 0) {
        (void)debugger.finish();
        (void)lab::stop_session(session);
        vm->release();
        return termination_signal() != 0 ? terminated()
                                         : fail("could not stop at {}", args.break_at);
    }
    fmt::print("stopped  at {} {:.2f} s after start\n", args.break_at, seconds_since(start));
    const arch::Architecture& arch = arch::architecture_of(**target);
    tour_step(debugger, "info line *$pc");
    tour_step(debugger, arch.machine == arch::Machine::aarch64 ? "info registers pc sp TTBR1_EL1"
                                                               : "info registers rip rsp cr3");
    tour_step(debugger, "bt");
    tour_step(debugger, "delete");

    bool interactive = isatty(STDIN_FILENO) != 0 && isatty(STDOUT_FILENO) != 0 && !args.batch;
    bool all_ok = true;
    if (!args.commands.empty()) {
        setup_lines.off();
        for (const auto& command : args.commands) {
            all_ok = tour_step(debugger, command, !answers_only) && all_ok;
        }
    } else if (!interactive) {
        // The tour: run to the shell, stop the guest, and ask the kernel what it is doing.
        tour_step(debugger, "continue &");
        if (auto shell = wait_for_shell(session, std::chrono::seconds(args.timeout_s)); !shell) {
            (void)debugger.finish();
            (void)lab::stop_session(session);
            vm->release();
            return shell;
        }
        fmt::print("shell    up {:.2f} s after start\n", seconds_since(start));
        tour_step(debugger, "interrupt");
        tour_step(debugger, "current");
        tour_step(debugger, "p $lx_current().comm");
        print_excerpt(*(*stack)->kernel(), "ps", 12, true);
        print_excerpt(*(*stack)->kernel(), "dmesg", 8, false);
    }
    if (interactive && !debugger.finished() && termination_signal() == 0) {
        all_ok = run_repl(debugger, cache_dir() / "attach_history") && all_ok;
    }
    StdoutToStderr closing_lines(answers_only);
    (void)debugger.finish();
    if (auto r = lab::stop_session(session); !r) {
        return r;
    }
    vm->release();
    fmt::print("stopped  the VM ({:.2f} s in all)\n", seconds_since(start));
    if (termination_signal() != 0) {
        return terminated();
    }
    if (!all_ok) {
        return fail("a command failed");
    }
    return {};
}

} // namespace

void register_up_command(CLI::App& app, ExitStatus& status) {
    auto args = std::make_shared<UpArgs>();
    auto* cmd = app.add_subcommand(
        "up", "Fetch a kernel, build a rootfs, boot it paused, stop at start_kernel, debug it");
    cmd->add_option("--kernel", args->kernel, "catalog kernel name or bzImage path")
        ->capture_default_str();
    cmd->add_option("--mirror", args->mirror, "Debian mirror (default: the host's)");
    cmd->add_option("--tree", args->tree, "boot a kernel tree built by `kdive build`");
    cmd->add_option("--out", args->out, "that tree's build folder (O=)");
    cmd->add_option("--smp", args->smp, "virtual CPUs")->capture_default_str();
    cmd->add_option("--mem", args->mem, "memory in MB")->capture_default_str();
    cmd->add_option("--cpu", args->cpu, "QEMU CPU model and features, e.g. qemu64,+la57");
    cmd->add_flag("--mttcg", args->mttcg, "multi-threaded TCG (default: one thread)");
    cmd->add_option("--break", args->break_at, "where to stop first")->capture_default_str();
    cmd->add_option("--ex", args->commands, "run a command after the first stop (repeatable)");
    cmd->add_flag("--batch", args->batch, "no REPL: run the commands (or the tour) and exit");
    cmd->add_flag("--gdb{gdb}", args->gdb,
                  "hand over to GDB (gdb-multiarch for an arm64 guest on x86-64; --gdb=PATH "
                  "for pwndbg, ...)");
    cmd->allow_extras();
    cmd->add_option("--timeout", args->timeout_s, "seconds to wait for a stop or the shell")
        ->capture_default_str();
    cmd->callback([args, cmd, &status] {
        if (auto ex = take_ex_commands(*cmd, args->commands); !ex) {
            report_error(status, ex.error(), 2);
            return;
        }
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
