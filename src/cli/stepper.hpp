// Source-level run control on the selected vCPU: step/next/until by line tables, and running
// to temporary breakpoints (finish, until LOCATION, advance) that are always removed again.
#pragma once

#include "cli/debugger_session.hpp"
#include "debuginfo/debug_info.hpp"
#include "debuginfo/function_scope.hpp"
#include "support/error.hpp"
#include "target/target.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

namespace kdive::cli {

enum class StepMode { step, next, until };

// Where a run to temporary breakpoints may end: the address, and the stack pointer it must
// have there (the same frame, not a recursive call or another vCPU); none = any frame.
struct TemporaryStop {
    std::uint64_t address = 0;
    std::optional<std::uint64_t> sp;
    std::optional<std::uint64_t> min_sp; // this frame or an outer one (until LOCATION)
};

struct StepOutcome {
    // Set when something else ended the run (a user breakpoint, Ctrl-C, a watchpoint, the VM
    // exiting): report it as continue would.
    std::optional<target::StopEvent> other_stop;
    std::size_t which = 0;        // run_to: the index of the temporary stop reached
    std::size_t single_steps = 0; // instructions stepped one by one
    std::size_t calls_stepped_over = 0;
    // `step` went into a function inlined at the stop pc: show it, not its call site.
    bool entered_inlined = false;
};

class Stepper {
public:
    // `load_offset` gives the KASLR offset when asked (runtime minus link-time addresses).
    Stepper(target::Target& target, DebuggerSession& session, debuginfo::DebugInfo& info,
            std::function<std::uint64_t()> load_offset)
        : target_(target), session_(session), info_(info), load_offset_(std::move(load_offset)) {}

    // One source line as GDB's step/next/until do; fails when the pc has no line information.
    Result<StepOutcome> step_line(StepMode mode);
    // Leaves the `depth` innermost inlined calls at the pc, stepping over calls, as GDB's
    // finish does in an inlined frame (it has no return value to show).
    Result<StepOutcome> finish_inlined(std::size_t depth);
    // Resumes every vCPU until the selected one reaches one of `stops` as required.
    Result<StepOutcome> run_to(const std::vector<TemporaryStop>& stops);
    // Where the selected vCPU's current function returns to, and the stack pointer after the
    // return (the CFA), from .debug_frame.
    Result<TemporaryStop> return_stop();

private:
    // The stepping loop: single-steps while the pc stays in [start, end) or in calls and
    // inlined code below the stepping frame, and stops where GDB's infrun would.
    Result<StepOutcome> step_range(StepMode mode, std::uint64_t start, std::uint64_t end,
                                   std::vector<std::uint64_t> stepping_chain, int current_line,
                                   std::string current_file);
    std::uint64_t to_file(std::uint64_t address);
    std::uint64_t to_runtime(std::uint64_t file_address);
    // The die offsets of the scopes at a pc, outermost first: identifies the source frame.
    std::vector<std::uint64_t> scope_chain(std::uint64_t pc);
    static std::vector<std::uint64_t> chain_of(const std::vector<debuginfo::FunctionScope>& scopes,
                                               std::size_t skipped);
    Result<bool>
    single_step(StepOutcome& outcome,
                std::optional<std::chrono::steady_clock::time_point> since = std::nullopt);
    // After a step into a function: where `step` stops (past endbr64 / push %rbp; mov
    // %rsp,%rbp as GDB's amd64 prologue analysis skips them).
    std::uint64_t after_prologue(std::uint64_t entry);
    std::uint64_t after_frame_record(std::uint64_t entry);
    bool is_nop(std::uint64_t pc); // arm64's NOP
    // Whether a function entered at `file_address` has lines (past arm64's ftrace NOPs).
    bool has_lines_at_entry(std::uint64_t file_address);

    // Whether the instruction just stepped (from old_pc, stack pointer old_sp) called a
    // function: x86-64 pushed a return address; arm64 set the link register to the next one.
    bool entered_call(std::uint64_t old_pc, std::uint64_t old_sp, std::uint64_t sp);
    // Where the function just entered returns to (the stack top, or the link register).
    Result<std::uint64_t> return_address_after_call(std::uint64_t sp);
    // Where a jump that landed on the first instruction of a function without DWARF returns to.
    std::optional<TemporaryStop> tail_jump_to_undebuggable(std::uint64_t file_pc, std::uint64_t sp);

    target::Target& target_;
    DebuggerSession& session_;
    debuginfo::DebugInfo& info_;
    std::function<std::uint64_t()> load_offset_;
};

} // namespace kdive::cli
