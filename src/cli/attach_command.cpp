// `kdive attach ENDPOINT|SESSION|VMCORE`: connect to a gdbstub, or open a dump, and run debugger
// commands on it.
#include "arch/x86_64/kernel_page_tables.hpp"
#include "cli/commands.hpp"
#include "cli/debugger_stack.hpp"
#include "cli/gdb_style_args.hpp"
#include "cli/interrupt_flag.hpp"
#include "cli/repl.hpp"
#include "cli/report.hpp"
#include "lab/guest_ram_source.hpp"
#include "lab/session.hpp"
#include "lab/vmcore_kernel.hpp"
#include "rsp/endpoint.hpp"
#include "support/cache_dir.hpp"
#include "target/core_target.hpp"
#include "target/rsp_target.hpp"

#include <cstring>
#include <filesystem>
#include <fmt/ranges.h>
#include <memory>
#include <string>
#include <vector>

namespace kdive::cli {

namespace {

struct AttachArgs {
    std::string where;
    std::string vmlinux;
    std::string debug_dir;
    std::string memory = "auto"; // auto, direct or stub
    std::string qmp;             // QMP socket of a VM kdive did not launch
    std::vector<std::string> commands;
    bool batch = false;
    bool echo = false;       // print each -ex command before its output
    double stop_timeout = 0; // seconds; 0 = interactive: until a stop or Ctrl-C
};

struct AttachPoint {
    rsp::Endpoint endpoint;
    std::filesystem::path vmlinux; // from the session, when it knows one
    std::optional<lab::Session> session;
};

// A session folder written by `kdive boot`, or an endpoint string.
Result<AttachPoint> resolve_attach_point(const std::string& where) {
    std::error_code ec;
    if (std::filesystem::is_directory(where, ec)) {
        auto session = lab::Session::load(where);
        if (!session) {
            return std::unexpected(session.error());
        }
        if (session->pid > 0 && !lab::is_qemu_alive(session->pid)) {
            return fail("session {}: QEMU (pid {}) is no longer running", where, session->pid);
        }
        auto endpoint = rsp::Endpoint::parse(session->gdb);
        if (!endpoint) {
            return wrap(endpoint.error(), fmt::format("session {}", where));
        }
        return AttachPoint{*endpoint, session->vmlinux, *session};
    }
    auto endpoint = rsp::Endpoint::parse(where);
    if (!endpoint) {
        return wrap(endpoint.error(),
                    fmt::format("'{}' is neither a session folder nor an endpoint", where));
    }
    return AttachPoint{*endpoint, {}, std::nullopt};
}

struct OpenedTarget {
    std::unique_ptr<target::Target> target;
    std::filesystem::path vmlinux;
    std::string greeting; // what the interactive session says first
};

// A dump: its memory and CPUs, kernel-virtual addresses through the kernel's page tables, and
// the vmlinux of the kernel it holds.
Result<OpenedTarget> open_vmcore(const AttachArgs& args) {
    auto file = target::open_core_file(args.where);
    if (!file) {
        return std::unexpected(file.error());
    }
    auto core = target::CoreTarget::open(std::move(*file));
    if (!core) {
        return std::unexpected(core.error());
    }
    const auto& info = (*core)->vmcore_info();
    std::optional<bool> five_level;
    if (auto l5 = info.decimal("NUMBER(pgtable_l5_enabled)")) {
        five_level = *l5 != 0;
    }
    (*core)->set_translator(std::make_unique<arch::x86_64::KernelPageTables>(
        **core, arch::x86_64::kernel_root_from_vmcoreinfo(info), five_level));
    std::filesystem::path vmlinux = args.vmlinux;
    if (vmlinux.empty()) {
        auto kernel = lab::dump_kernel((*core)->file(), info);
        if (!kernel) {
            return std::unexpected(kernel.error());
        }
        auto found = lab::find_vmlinux(*kernel, args.debug_dir, [](std::string_view line) {
            fmt::print(stderr, "kdive: {}\n", line);
            (void)std::fflush(stderr);
        });
        if (!found) {
            return std::unexpected(found.error());
        }
        vmlinux = *found;
    }
    OpenedTarget opened;
    const int cpus = (*core)->vcpu_count();
    opened.greeting = fmt::format("Opened {} ({}, {} CPU{}{}); vmlinux {}.", args.where,
                                  (*core)->file().describe(), cpus, cpus == 1 ? "" : "s",
                                  info.empty() ? ", no VMCOREINFO" : "", vmlinux.string());
    opened.target = std::move(*core);
    opened.vmlinux = vmlinux;
    return opened;
}

// Reads guest RAM without the stub unless told not to: a session's memfd, else QEMU's process
// memory through its QMP socket (the session's or --qmp); says which path memory takes.
Result<std::string> use_direct_memory(target::RspTarget& target,
                                      const std::optional<lab::Session>& session,
                                      const AttachArgs& args) {
    const std::string& mode = args.memory;
    if (mode != "auto" && mode != "direct" && mode != "stub") {
        return fail_as(ErrorKind::invalid_input, "--memory {}: expected auto, direct or stub",
                       mode);
    }
    if (mode == "stub") {
        return std::string("through the gdbstub (--memory stub)");
    }
    std::vector<std::string> reasons;
    std::unique_ptr<target::GuestRam> ram;
    if (session) {
        if (auto mapped = lab::map_guest_ram(*session)) {
            ram = std::move(*mapped);
        } else {
            reasons.push_back(mapped.error().message);
        }
    }
    std::filesystem::path qmp =
        std::string_view(args.qmp).starts_with("unix:") ? args.qmp.substr(5) : args.qmp;
    if (qmp.empty() && session) {
        qmp = session->qmp;
    }
    if (!ram && !qmp.empty()) {
        if (auto copied = lab::guest_ram_through_qmp(qmp)) {
            ram = std::move(*copied);
        } else {
            reasons.push_back(copied.error().message);
        }
    }
    if (!ram) {
        if (reasons.empty()) {
            reasons.emplace_back("no session folder or --qmp socket");
        }
        const std::string why = fmt::format("{}", fmt::join(reasons, "; "));
        if (mode == "direct") {
            return fail("--memory direct: {}", why);
        }
        return fmt::format("through the gdbstub ({})", why);
    }
    std::string described = ram->describe();
    target.set_direct_memory(
        std::move(ram), std::make_unique<arch::x86_64::KernelPageTables>(target, std::nullopt));
    return fmt::format("guest RAM read directly, {}; the gdbstub for registers, run control and "
                       "writes",
                       described);
}

Result<OpenedTarget> open_target(const AttachArgs& args) {
    if (target::looks_like_core_file(args.where)) {
        return open_vmcore(args);
    }
    auto point = resolve_attach_point(args.where);
    if (!point) {
        return std::unexpected(point.error());
    }
    auto target = target::RspTarget::attach(point->endpoint);
    if (!target) {
        return std::unexpected(target.error());
    }
    auto memory = use_direct_memory(**target, point->session, args);
    if (!memory) {
        return std::unexpected(memory.error());
    }
    OpenedTarget opened;
    opened.vmlinux = args.vmlinux.empty() ? point->vmlinux : std::filesystem::path(args.vmlinux);
    const int vcpus = (*target)->vcpu_count();
    opened.greeting = fmt::format(
        "Attached to {} ({} vCPU{}, stopped){}.\nMemory: {}.", point->endpoint.to_string(), vcpus,
        vcpus == 1 ? "" : "s",
        opened.vmlinux.empty() ? "" : fmt::format("; vmlinux {}", opened.vmlinux.string()),
        *memory);
    opened.target = std::move(*target);
    return opened;
}

int run_attach(const AttachArgs& args) {
    // Before the stub is touched: from here on SIGTERM/SIGHUP end the session through detach.
    TerminationWatcher termination;
    auto opened = open_target(args);
    if (!opened) {
        fmt::print(stderr, "kdive: {}\n", opened.error().message);
        return 1;
    }
    const std::filesystem::path& vmlinux = opened->vmlinux;
    auto* target = &opened->target;
    DebuggerOptions options;
    options.batch = args.batch;
    if (args.stop_timeout > 0) {
        options.stop_timeout =
            std::chrono::milliseconds(static_cast<long long>(args.stop_timeout * 1000));
    } else if (args.batch) {
        options.stop_timeout = std::chrono::minutes(5); // a script must end
    }
    auto stack = DebuggerStack::create(**target, vmlinux, options);
    if (!stack) {
        fmt::print(stderr, "kdive: {}\n", stack.error().message);
        return 1;
    }
    DebuggerSession& session = (*stack)->session();
    SigintWatcher sigint;
    // Before anything else: a vmlinux that is not the running kernel makes every answer wrong.
    // Checked only once the kernel runs (a vCPU in the kernel half), not at the reset vector.
    // Any vCPU in the kernel will do (one in user mode may not see kernel memory under PTI);
    // the selection is put back.
    if (auto* kernel = (*stack)->kernel()) {
        const int selected = (*target)->current_vcpu();
        for (int vcpu = 0; vcpu < (*target)->vcpu_count(); ++vcpu) {
            auto rip = (*target)->read_cpu_register(vcpu, "rip");
            if (rip && *rip >= 0xffff800000000000ull) {
                if (!(*target)->select_vcpu(vcpu)) {
                    break;
                }
                if (auto view = kernel->kernel(); !view) {
                    fmt::print(stderr, "warning: {}\n", printable(view.error().message));
                }
                break;
            }
        }
        (void)(*target)->select_vcpu(selected);
    }

    if (!args.batch) {
        fmt::print("{}\n", opened->greeting);
    }
    bool all_ok = true;
    for (const auto& command : args.commands) {
        if (session.finished() || termination_signal() != 0) {
            break;
        }
        // A batch's stdout is its answers only, unless a transcript was asked for.
        if (args.echo) {
            fmt::print("(kdive) {}\n", command);
        }
        auto ok = session.execute(command);
        (void)std::fflush(stdout);
        if (!ok) {
            print_command_error(ok.error().message);
            all_ok = false;
        }
    }
    if (!args.batch && !session.finished() && termination_signal() == 0) {
        all_ok = run_repl(session, cache_dir() / "attach_history") && all_ok;
    }
    if (auto done = session.finish(); !done) {
        fmt::print(stderr, "kdive: {}\n", printable(done.error().message));
        all_ok = false;
    }
    if (int sig = termination_signal(); sig != 0) {
        fmt::print(stderr, "kdive: {}: detached and stopped\n", strsignal(sig));
        return 128 + sig;
    }
    return all_ok ? 0 : 1;
}

} // namespace

void register_attach_command(CLI::App& app, ExitStatus& status) {
    auto args = std::make_shared<AttachArgs>();
    auto* cmd = app.add_subcommand("attach", "debug a VM through its gdbstub, or a vmcore");
    cmd->add_option("target", args->where,
                    "session folder from `kdive boot`, HOST:PORT, tcp:HOST:PORT, unix:PATH, or a "
                    "vmcore (ELF or kdump-compressed)")
        ->required();
    cmd->add_option("--vmlinux", args->vmlinux,
                    "kernel ELF with debug info (default: the session's, or the dump's kernel "
                    "from the cache)");
    cmd->add_option("--debug-dir", args->debug_dir,
                    "folder holding the dump's vmlinux (vmlinux-RELEASE, RELEASE/vmlinux, "
                    "usr/lib/debug/boot/vmlinux-RELEASE)");
    cmd->add_option("--memory", args->memory,
                    "how memory is read from a session's VM: auto (its RAM mapped directly when "
                    "kdive launched it, else the gdbstub), direct or stub")
        ->capture_default_str();
    cmd->add_option("--qmp", args->qmp,
                    "QMP socket of a VM kdive did not launch: its RAM is read from the QEMU "
                    "process (process_vm_readv) instead of the gdbstub");
    cmd->add_option("--ex", args->commands, "run a command (repeatable; GDB's -ex works too)");
    // CLI11 has no single-dash long options: GDB-style "-ex CMD" pairs arrive as extras.
    cmd->allow_extras();
    cmd->add_flag("--batch", args->batch,
                  "run the -ex commands and exit (non-zero on failure); stdout holds only their "
                  "answers");
    cmd->add_flag("--echo", args->echo, "print each -ex command as `(kdive) COMMAND` first");
    cmd->add_option("--stop-timeout", args->stop_timeout,
                    "seconds `continue` waits before interrupting (batch default 300)");
    cmd->callback([args, cmd, &status] {
        if (auto ex = take_ex_commands(*cmd, args->commands); !ex) {
            report_error(status, ex.error(), 2);
            return;
        }
        status.code = run_attach(*args);
    });
}

} // namespace kdive::cli
