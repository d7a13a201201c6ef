// A debugger over one Target: built-in commands plus, with a vmlinux, symbols, expressions and
// the kernel commands. `kdive attach` and `kdive up` share it.
#pragma once

#include "cli/debugger_session.hpp"
#include "cli/eval_commands.hpp"
#include "cli/frame_commands.hpp"
#include "cli/kernel_commands.hpp"
#include "cli/location.hpp"
#include "cli/script_host.hpp"
#include "debuginfo/debug_info.hpp"
#include "target/target.hpp"

#include <cstdio>
#include <filesystem>
#include <memory>

namespace kdive::cli {

class DebuggerStack {
public:
    // An empty vmlinux gives the built-in commands only.
    static Result<std::unique_ptr<DebuggerStack>> create(target::Target& target,
                                                         const std::filesystem::path& vmlinux,
                                                         DebuggerOptions options,
                                                         std::FILE* out = stdout);

    DebuggerSession& session() { return *session_; }
    // Null without a vmlinux.
    KernelCommands* kernel() { return kernel_.get(); }
    EvalCommands* eval() { return eval_.get(); }
    FrameCommands* frames() { return frames_.get(); }
    debuginfo::DebugInfo* info() { return info_.get(); }
    // The Python interpreter bound to this debugger, started on first use.
    Result<ScriptHost*> scripts();
    ~DebuggerStack();

private:
    DebuggerStack() = default;
    // python CODE, python-interactive, source FILE.py; nullopt for other lines.
    std::optional<Result<std::string>> run_script_command(std::string_view line);

    target::Target* target_ = nullptr;
    std::unique_ptr<ScriptHost> scripts_;
    Locations locations_;
    std::unique_ptr<debuginfo::DebugInfo> info_;
    std::unique_ptr<KernelCommands> kernel_;
    std::unique_ptr<EvalCommands> eval_;
    std::unique_ptr<DebuggerSession> session_;
    std::unique_ptr<FrameCommands> frames_;
};

// Before anything else in a session: a vmlinux that is not the running kernel makes every
// answer wrong, so a mismatch is said on stderr.
void warn_unless_running_kernel(DebuggerStack& stack, target::Target& target);

// The end of a session: kdive's breakpoints out and the guest running (a failure said on
// stderr); the exit status, 128+N after signal N asked kdive to stop.
int end_session(DebuggerSession& session, bool ok);

} // namespace kdive::cli
