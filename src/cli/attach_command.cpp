// `kdive attach ENDPOINT|SESSION`: connect to a gdbstub and run debugger commands on it.
#include "cli/commands.hpp"
#include "cli/debugger_stack.hpp"
#include "cli/gdb_style_args.hpp"
#include "cli/interrupt_flag.hpp"
#include "cli/repl.hpp"
#include "cli/report.hpp"
#include "lab/session.hpp"
#include "rsp/endpoint.hpp"
#include "support/cache_dir.hpp"
#include "target/rsp_target.hpp"

#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace kdive::cli {

namespace {

struct AttachArgs {
    std::string where;
    std::string vmlinux;
    std::vector<std::string> commands;
    bool batch = false;
    bool echo = false;       // print each -ex command before its output
    double stop_timeout = 0; // seconds; 0 = interactive: until a stop or Ctrl-C
};

struct AttachPoint {
    rsp::Endpoint endpoint;
    std::filesystem::path vmlinux; // from the session, when it knows one
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
        return AttachPoint{*endpoint, session->vmlinux};
    }
    auto endpoint = rsp::Endpoint::parse(where);
    if (!endpoint) {
        return wrap(endpoint.error(),
                    fmt::format("'{}' is neither a session folder nor an endpoint", where));
    }
    return AttachPoint{*endpoint, {}};
}

int run_attach(const AttachArgs& args) {
    // Before the stub is touched: from here on SIGTERM/SIGHUP end the session through detach.
    TerminationWatcher termination;
    auto point = resolve_attach_point(args.where);
    if (!point) {
        fmt::print(stderr, "kdive: {}\n", point.error().message);
        return 1;
    }
    std::filesystem::path vmlinux =
        args.vmlinux.empty() ? point->vmlinux : std::filesystem::path(args.vmlinux);
    auto target = target::RspTarget::attach(point->endpoint);
    if (!target) {
        fmt::print(stderr, "kdive: {}\n", target.error().message);
        return 1;
    }
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
            if (!(*target)->select_vcpu(vcpu)) {
                break;
            }
            auto rip = (*target)->read_register("rip");
            if (rip && *rip >= 0xffff800000000000ull) {
                if (auto view = kernel->kernel(); !view) {
                    fmt::print(stderr, "warning: {}\n", printable(view.error().message));
                }
                break;
            }
        }
        (void)(*target)->select_vcpu(selected);
    }

    if (!args.batch) {
        fmt::print("Attached to {} ({} vCPU{}, stopped){}.\n", point->endpoint.to_string(),
                   (*target)->vcpu_count(), (*target)->vcpu_count() == 1 ? "" : "s",
                   vmlinux.empty() ? "" : fmt::format("; vmlinux {}", vmlinux.string()));
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
    auto* cmd = app.add_subcommand("attach", "debug a VM through its gdbstub");
    cmd->add_option("target", args->where,
                    "session folder from `kdive boot`, HOST:PORT, tcp:HOST:PORT or unix:PATH")
        ->required();
    cmd->add_option("--vmlinux", args->vmlinux,
                    "kernel ELF with debug info (default: the session's)");
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
