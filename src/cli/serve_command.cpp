// `kdive serve SESSION|ENDPOINT|VMCORE`: a GDB remote-protocol server in front of a VM or a
// vmcore, with kernel tasks as threads and modules as shared libraries.
#include "cli/command_table.hpp"
#include "cli/commands.hpp"
#include "cli/debugger_stack.hpp"
#include "cli/interrupt_flag.hpp"
#include "cli/output_capture.hpp"
#include "cli/report.hpp"
#include "cli/target_opening.hpp"
#include "rsp/listener.hpp"
#include "server/gdb_server.hpp"
#include "support/guest_text.hpp"

#include <csignal>
#include <filesystem>
#include <unistd.h>

namespace kdive::cli {

namespace {

struct ServeArgs : TargetSource {
    std::string listen;
    bool stdio = false;
    bool once = false;
};

void note(std::string_view text) {
    fmt::print(stderr, "kdive serve: {}\n", terminal_text(text, TerminalText::message));
    (void)std::fflush(stderr);
}

// Commands that would run the guest or end the session under the debugger's feet: the
// debugger has its own for that.
std::optional<std::string> refused_in_monitor(std::string_view line) {
    const auto& table = CommandTable::repl();
    auto spelt = table.spell_out(line);
    if (!spelt) {
        return std::nullopt;
    }
    const std::string_view word = std::string_view(*spelt).substr(0, spelt->find(' '));
    const CommandInfo* info = table.find(word);
    if (info == nullptr) {
        return std::nullopt;
    }
    if ((info->group == "Running and stepping" && info->name != "cpu") || info->name == "detach" ||
        info->name == "quit") {
        return fmt::format("kdive: `{}` is the debugger's to do: use its own command\n",
                           info->name);
    }
    return std::nullopt;
}

// Where the server listens when --listen is not given: beside a session's own sockets.
Result<std::string> default_listen(const ServeArgs& args) {
    std::error_code ec;
    if (std::filesystem::is_directory(args.where, ec)) {
        return "unix:" + (std::filesystem::path(args.where) / "gdbserver.sock").string();
    }
    return fail_as(ErrorKind::invalid_input,
                   "serve {}: say where to listen (--listen unix:PATH or 127.0.0.1:PORT, or "
                   "--stdio for GDB's `target remote | kdive serve ... --stdio`)",
                   args.where);
}

int run_serve(const ServeArgs& args) {
    TerminationWatcher termination;
    auto opened = open_target(args);
    if (!opened) {
        note(opened.error().message);
        return 1;
    }
    auto capture = OutputCapture::create();
    if (!capture) {
        note(capture.error().message);
        return 1;
    }
    DebuggerOptions options;
    options.batch = true;
    options.source_note = false;
    auto stack =
        DebuggerStack::create(*opened->target, opened->vmlinux, options, (*capture)->file());
    if (!stack) {
        note(stack.error().message);
        return 1;
    }
    KernelCommands* kernel = (*stack)->kernel();
    if (kernel != nullptr) {
        if (auto view = check_kernel_view(*kernel, *opened->target); !view) {
            note(view.error().message);
        }
    }
    target::Target& target = *opened->target;
    server::ServerBackend backend;
    backend.target = &target;
    // Looked at once per stop: checking moves the vCPU selection, which empties the caches
    // keyed by it, and the server asks for every sleeping thread's registers.
    std::optional<std::pair<std::uint64_t, Result<kernel::Kernel*>>> checked;
    backend.kernel = [kernel, &target, &checked]() -> Result<kernel::Kernel*> {
        if (kernel == nullptr) {
            return fail("no vmlinux: the threads are the vCPUs");
        }
        if (checked && checked->first == target.guest_generation()) {
            return checked->second;
        }
        auto view = check_kernel_view(*kernel, target);
        if (view && *view == nullptr) {
            view = fail("no vCPU runs in the kernel yet: the threads are the vCPUs");
        }
        checked.emplace(target.guest_generation(), view);
        return view;
    };
    backend.modules = [kernel] {
        return kernel ? kernel->modules().symbol_files()
                      : std::vector<kernel::ModuleDebugInfo::SymbolFile>{};
    };
    DebuggerSession& session = (*stack)->session();
    OutputCapture& output = **capture;
    backend.monitor = [&session, &output, &target](std::string_view line, std::optional<int> vcpu) {
        if (auto refused = refused_in_monitor(line)) {
            return *refused;
        }
        if (vcpu) {
            (void)target.select_vcpu(*vcpu);
        }
        auto done = session.execute(line);
        std::string text = output.take();
        if (!done) {
            text += "kdive: " + done.error().message + "\n";
        }
        return text;
    };
    backend.note = note;
    server::GdbServer gdb_server(std::move(backend));

    if (args.stdio) {
        // The debugger started kdive on a pipe and owns the terminal: its Ctrl-C arrives as
        // the interrupt byte, not as a signal.
        (void)std::signal(SIGINT, SIG_IGN);
        rsp::DebuggerConnection connection(dup(STDIN_FILENO), dup(STDOUT_FILENO), "stdio");
        auto served = gdb_server.serve(connection, [] { return termination_signal() != 0; });
        if (!served) {
            note(served.error().message);
            return 1;
        }
        return 0;
    }
    std::string where = args.listen;
    if (where.empty()) {
        auto chosen = default_listen(args);
        if (!chosen) {
            note(chosen.error().message);
            return 2;
        }
        where = *chosen;
    }
    auto endpoint = rsp::Endpoint::parse(where);
    if (!endpoint) {
        note(endpoint.error().message);
        return 2;
    }
    auto listener = rsp::Listener::open(*endpoint);
    if (!listener) {
        note(listener.error().message);
        return 1;
    }
    SigintWatcher sigint;
    bool stopping = false;
    const auto stop_requested = [&stopping] {
        stopping = stopping || termination_signal() != 0 || take_interrupt_request();
        return stopping;
    };
    note(fmt::format("serving {} on {}", opened->greeting.substr(0, opened->greeting.find('\n')),
                     listener->name()));
    while (!stop_requested()) {
        auto accepted = listener->accept(std::chrono::milliseconds(200));
        if (!accepted) {
            note(accepted.error().message);
            return 1;
        }
        if (!*accepted) {
            continue;
        }
        rsp::DebuggerConnection connection(**accepted, **accepted, listener->name());
        note("a debugger connected");
        if (auto served = gdb_server.serve(connection, stop_requested); !served) {
            note(served.error().message);
        }
        note("the debugger left; breakpoints removed");
        if (args.once) {
            break;
        }
    }
    return 0;
}

} // namespace

void register_serve_command(CLI::App& app, ExitStatus& status) {
    auto args = std::make_shared<ServeArgs>();
    auto* cmd = app.add_subcommand(
        "serve", "GDB remote-protocol server for GDB, LLDB and IDEs: kernel tasks as threads, "
                 "modules as shared libraries, kdive's commands as `monitor CMD`");
    cmd->add_option("target", args->where,
                    "session folder from `kdive boot`, HOST:PORT, unix:PATH of a gdbstub, or a "
                    "vmcore (served read-only)")
        ->required();
    cmd->add_option("--listen", args->listen,
                    "unix:PATH (mode 0600) or 127.0.0.1:PORT; default "
                    "unix:SESSION/gdbserver.sock for a session");
    cmd->add_flag("--stdio", args->stdio,
                  "speak on stdin/stdout, for GDB's `target remote | kdive serve ... --stdio`");
    cmd->add_flag("--once", args->once, "exit when the first debugger leaves");
    add_target_source_options(*cmd, *args);
    cmd->callback([args, &status] { status.code = run_serve(*args); });
}

} // namespace kdive::cli
