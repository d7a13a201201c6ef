// The debugger's commands (info registers, x, break, continue, ...) over a Target.
#pragma once

#include "cli/command_table.hpp"
#include "cli/location.hpp"
#include "support/error.hpp"
#include "target/target.hpp"

#include <chrono>
#include <cstdio>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kdive::cli {

// A non-negative whole number given to a command (a count, a level, a breakpoint number); the
// error names `what` and the text.
Result<int> parse_count(std::string_view text, std::string_view what);

struct DebuggerOptions {
    // How long `continue` waits for a stop before interrupting the guest; none = until it stops
    // or Ctrl-C.
    std::optional<std::chrono::milliseconds> stop_timeout;
    // Output for machines: stdout holds answers only; status lines (the detach notice) go to
    // stderr.
    bool batch = false;
    // The note that a fetched kernel's source is another version than the kernel goes to
    // stderr; a server's stderr reaches its debugger's console, inside the answers it captures.
    bool source_note = true;
};

// Another command set (expressions, kernel commands): nullopt when the line is not its own,
// else the output to print or the error.
using CommandHandler = std::function<std::optional<Result<std::string>>(std::string_view)>;

class DebuggerSession {
public:
    DebuggerSession(target::Target& target, Locations& locations, std::FILE* out,
                    DebuggerOptions options = {});

    // Runs one command line; output goes to `out`, failure is returned, an exception too.
    Result<> execute(std::string_view line);
    // Names a code address ("start_kernel () at init/main.c:951") in stop reports.
    void set_symbolizer(std::function<std::string(std::uint64_t)> symbolizer) {
        symbolizer_ = std::move(symbolizer);
    }
    // Names a code address as GDB does inside <...> ("start_kernel+4"), for info registers.
    void set_code_labeler(std::function<std::string(std::uint64_t)> labeler) {
        code_labeler_ = std::move(labeler);
    }
    // "951\t{" for a stop's address when its source file is on the host, else empty: a stop
    // then shows the line as GDB does instead of the instruction.
    void set_source_liner(std::function<std::string(std::uint64_t)> liner) {
        source_liner_ = std::move(liner);
    }
    // Completes expressions and locations (symbols, types, members) for complete().
    void set_expression_completer(std::function<Completion(std::string_view)> completer) {
        expression_completer_ = std::move(completer);
    }
    // What may end `line` (the text before the cursor): a command's name, an info subcommand,
    // a command for help, a host file for shell, or an argument through the completer above.
    Completion complete(std::string_view line) const;
    // Lines no built-in command takes go to these, in order.
    void add_handler(CommandHandler handler) { handlers_.push_back(std::move(handler)); }
    // True after quit or detach, or once the connection is lost: the REPL and a batch end.
    bool finished() const { return finished_ || connection_lost_; }
    // Removes kdive's breakpoints and lets the guest run (quit, end of batch, end of input).
    // After a lost connection that a command already reported, a detach failing the same way
    // is not reported again.
    Result<> finish();
    // For run-control commands outside this class (next, finish): waits for the running guest
    // to stop, turning Ctrl-C into an interrupt; reports a stop as continue does. The stop
    // timeout counts from `since` when given: a command that resumes the guest many times
    // (finish stepping past other vCPUs' hits) still ends within it.
    Result<target::StopEvent>
    wait_for_stop(std::optional<std::chrono::steady_clock::time_point> since = std::nullopt);
    void report_stop(const target::StopEvent& stop);

private:
    struct NumberedBreakpoint {
        int number = 0;
        target::Breakpoint breakpoint;
        int hits = 0;
    };

    // execute() without its catch-all.
    Result<> dispatch(std::string_view line);
    Result<> info(std::string_view args);
    Result<> info_registers(std::string_view args);
    Result<> info_breakpoints();
    Result<> examine(std::string_view spec, std::string_view args);
    Result<> add_breakpoint(target::BreakpointKind kind, std::string_view args);
    Result<> delete_breakpoints(std::string_view args);
    Result<> resume(std::string_view args);
    Result<> stepi(std::string_view args);
    Result<> interrupt();
    Result<> select_cpu(std::string_view args);
    Result<> scheduler_locking(std::string_view mode);
    Result<> monitor(std::string_view args);
    Result<> detach();
    Result<> help(std::string_view command);
    Result<> shell(std::string_view command);
    Result<> info_threads();
    // Offers a line to the added command sets; `unknown` is the error when none takes it.
    Result<> run_handlers(std::string_view line, std::string_view unknown);

    // A stop that arrived while at the prompt after `continue &`.
    Result<> report_pending_stop();
    void print_location();

    target::Target& target_;
    Locations& locations_;
    std::FILE* out_;
    DebuggerOptions options_;
    std::vector<NumberedBreakpoint> breakpoints_;
    std::vector<CommandHandler> handlers_;
    std::function<std::string(std::uint64_t)> symbolizer_;
    std::function<std::string(std::uint64_t)> code_labeler_;
    std::function<Completion(std::string_view)> expression_completer_;
    std::function<std::string(std::uint64_t)> source_liner_;
    int next_number_ = 1;
    bool finished_ = false;
    bool connection_lost_ = false;
};

} // namespace kdive::cli
