// `kdive python TARGET [SCRIPT [ARGS...]]`: a Python script, or Python's console, with `prog`
// bound to a VM, an endpoint or a vmcore.
#include "cli/commands.hpp"
#include "cli/debugger_stack.hpp"
#include "cli/interrupt_flag.hpp"
#include "cli/report.hpp"
#include "cli/target_opening.hpp"

#include <cstring>

namespace kdive::cli {

namespace {

struct PythonArgs : TargetSource {
    std::string script;
    std::vector<std::string> script_args;
};

int run_python(const PythonArgs& args) {
    TerminationWatcher termination;
    auto opened = open_target(args);
    if (!opened) {
        fmt::print(stderr, "kdive: {}\n", opened.error().message);
        return 1;
    }
    if (opened->vmlinux.empty()) {
        fmt::print(stderr, "kdive: {}: no vmlinux is known for this target: pass --vmlinux\n",
                   args.where);
        return 1;
    }
    DebuggerOptions options;
    options.batch = true; // status lines to stderr: a script's stdout is its own
    options.stop_timeout = std::chrono::minutes(5);
    auto stack = DebuggerStack::create(*opened->target, opened->vmlinux, options);
    if (!stack) {
        fmt::print(stderr, "kdive: {}\n", stack.error().message);
        return 1;
    }
    SigintWatcher sigint;
    warn_unless_running_kernel(**stack, *opened->target);
    bool ok = true;
    auto host = (*stack)->scripts();
    if (!host) {
        fmt::print(stderr, "kdive: {}\n", host.error().message);
        ok = false;
    } else {
        auto ran = args.script.empty() ? (*host)->interactive()
                                       : (*host)->run_file(args.script, args.script_args);
        (void)std::fflush(stdout);
        if (!ran) {
            fmt::print(stderr, "kdive: {}\n", printable(ran.error().message));
            ok = false;
        }
    }
    return end_session((*stack)->session(), ok);
}

} // namespace

void register_python_command(CLI::App& app, ExitStatus& status) {
    auto args = std::make_shared<PythonArgs>();
    auto* cmd = app.add_subcommand(
        "python", "run a Python script (or Python's console) with `prog` bound to a VM, an "
                  "endpoint or a vmcore; `import kdive` for the API");
    cmd->add_option("target", args->where,
                    "session folder from `kdive boot`, HOST:PORT, unix:PATH, or a vmcore")
        ->required();
    cmd->add_option("script", args->script, "the script (none: Python's console)");
    cmd->add_option("args", args->script_args, "the script's arguments (its sys.argv[1:])");
    add_target_source_options(*cmd, *args);
    cmd->callback([args, &status] { status.code = run_python(*args); });
}

} // namespace kdive::cli
