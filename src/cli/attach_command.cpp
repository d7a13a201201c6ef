// `kdive attach ENDPOINT|SESSION|VMCORE`: connect to a gdbstub, or open a dump, and run debugger
// commands on it.
#include "cli/commands.hpp"
#include "cli/debugger_stack.hpp"
#include "cli/gdb_style_args.hpp"
#include "cli/interrupt_flag.hpp"
#include "cli/repl.hpp"
#include "cli/report.hpp"
#include "cli/target_opening.hpp"
#include "support/cache_dir.hpp"

#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace kdive::cli {

namespace {

struct AttachArgs : TargetSource {
    std::vector<std::string> commands;
    bool batch = false;
    bool echo = false;       // print each -ex command before its output
    double stop_timeout = 0; // seconds; 0 = interactive: until a stop or Ctrl-C
    std::string script;      // -x: a Python script run after the -ex commands
    std::vector<std::string> script_args;
};

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
    warn_unless_running_kernel(**stack, **target);

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
    if (!args.script.empty() && !session.finished() && termination_signal() == 0) {
        auto host = (*stack)->scripts();
        auto ran = host ? (*host)->run_file(args.script, args.script_args)
                        : Result<>(std::unexpected(host.error()));
        (void)std::fflush(stdout);
        if (!ran) {
            print_command_error(ran.error().message);
            all_ok = false;
        }
    }
    if (!args.batch && !session.finished() && termination_signal() == 0) {
        all_ok = run_repl(session, cache_dir() / "attach_history") && all_ok;
    }
    return end_session(session, all_ok);
}

} // namespace

void register_attach_command(CLI::App& app, ExitStatus& status) {
    auto args = std::make_shared<AttachArgs>();
    auto* cmd = app.add_subcommand("attach", "debug a VM through its gdbstub, or a vmcore");
    cmd->add_option("target", args->where,
                    "session folder from `kdive boot`, HOST:PORT, tcp:HOST:PORT, unix:PATH, or a "
                    "vmcore (ELF or kdump-compressed)")
        ->required();
    add_target_source_options(*cmd, *args);
    cmd->add_option("-x,--script", args->script,
                    "run a Python script after the -ex commands, with `prog` bound (then the "
                    "prompt, unless --batch); words after the target are its sys.argv[1:]");
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
        if (auto ex = take_ex_commands(*cmd, args->commands, &args->script_args); !ex) {
            report_error(status, ex.error(), 2);
            return;
        }
        if (!args->script_args.empty() && args->script.empty()) {
            report_error(status,
                         Error{fmt::format("attach: unexpected argument '{}' (arguments follow "
                                           "a -x script)",
                                           args->script_args.front()),
                               ErrorKind::invalid_input},
                         2);
            return;
        }
        status.code = run_attach(*args);
    });
}

} // namespace kdive::cli
