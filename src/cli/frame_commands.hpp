// Frames and source-level stepping: frame/up/down, info frame/locals/args, step, next,
// finish, until, advance. Frames are the unwound stack with inlined calls shown as frames.
#pragma once

#include "cli/debugger_session.hpp"
#include "cli/eval_commands.hpp"
#include "cli/location.hpp"
#include "cli/stepper.hpp"
#include "debuginfo/debug_info.hpp"
#include "debuginfo/function_scope.hpp"
#include "eval/frame_variables.hpp"
#include "target/target.hpp"

#include <cstdio>
#include <functional>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

namespace kdive::cli {

// One machine frame from an unwinder: its pc and registers (callers: pc is the return address).
struct MachineFrame {
    std::uint64_t pc = 0;
    debuginfo::FrameRegisters registers;
};
// Unwinds from the innermost frame's registers; frame 0 itself comes first.
using Unwinder = std::function<Result<std::vector<MachineFrame>>(const debuginfo::FrameRegisters&)>;

class FrameCommands {
public:
    FrameCommands(target::Target& target, DebuggerSession& session, Locations& locations,
                  debuginfo::DebugInfo& info, EvalCommands& eval, eval::MemoryReader* memory,
                  eval::RegisterReader* registers, std::FILE* out);

    // nullopt: not one of these commands.
    std::optional<Result<std::string>> run(std::string_view line);
    // Without one, only frame 0 (the vCPU's registers) exists.
    void set_unwinder(Unwinder unwinder) { unwinder_ = std::move(unwinder); }

private:
    struct SourceFrame {
        std::size_t machine = 0; // index of the machine frame
        bool innermost = true;   // the innermost source frame of its machine frame
        std::uint64_t pc = 0;    // runtime
        bool has_scope = false;
        eval::FrameState state;
        std::string function;
        std::string module; // module code: the module's name, as bt shows it
        std::string file;
        int line = 0;
        std::uint64_t line_start = 0; // runtime address where the line begins (innermost only)
    };

    // Every frame of the stop, or with `top_only` the innermost machine frame's only.
    Result<> ensure_frames(bool top_only = false);
    Result<std::string> select(std::optional<int> level, int delta);
    std::string frame_line(std::size_t level) {
        return fmt::format("#{:<3}{}", level, frame_description(level));
    }
    // "0x... in name (args) at file:line", as GDB shows a frame.
    std::string frame_description(std::size_t level);
    std::string source_text(const SourceFrame& frame);
    std::string arguments(const SourceFrame& frame);
    Result<std::string> info_frame();
    Result<std::string> backtrace_full();
    // "name = value" lines of a frame's parameters or locals, or GDB's "No locals." line.
    std::string variable_lines(const SourceFrame& frame, bool parameters, std::string_view indent);
    Result<std::string> info_variables(bool parameters);
    Result<std::string> step(StepMode mode, std::string_view args);
    Result<std::string> finish();
    Result<std::string> run_to_location(std::string_view location, bool advance);
    // What GDB prints after a source-level stop: the frame when it changed, then the line.
    std::string describe_stop(const std::vector<std::uint64_t>& chain_before);
    std::vector<std::uint64_t> current_chain();
    Result<std::string> report_other_stop(const target::StopEvent& stop);
    // After the guest ran for a command: frames are stale; an error, or a stop the command did
    // not ask for (a breakpoint, Ctrl-C), ends it. nullopt: it stopped where it wanted.
    std::optional<Result<std::string>> run_ended(const Result<StepOutcome>& outcome);

    target::Target& target_;
    DebuggerSession& session_;
    Locations& locations_;
    debuginfo::DebugInfo& info_;
    EvalCommands& eval_;
    eval::MemoryReader* memory_;
    eval::RegisterReader* registers_;
    std::FILE* out_;
    eval::FrameVariables variables_;
    Stepper stepper_;
    Unwinder unwinder_;
    std::vector<MachineFrame> machine_;
    std::vector<SourceFrame> frames_;
    // The target's stop generation the frames were built at: any resume, step, write, monitor
    // command or vCPU selection since makes them stale.
    std::optional<std::uint64_t> built_at_;
    std::optional<std::uint64_t> top_built_at_; // frames_ holds only the innermost frame's
    // The vCPU and guest generation of the frames the user selected among: the selection
    // survives a rebuild only when neither changed (kdive read another vCPU meanwhile).
    int built_vcpu_ = -1;
    std::uint64_t built_guest_at_ = 0;
    // The guest generation at which a step went into an inlined call at its first instruction:
    // at that stop, show that frame rather than the call site (GDB's step_into_inline_frame).
    std::optional<std::uint64_t> entered_inlined_at_;
    // Inlined frames at frame 0's pc shown as their call site instead (see entered_inlined_).
    std::size_t skipped_inline_ = 0;
    std::size_t selected_ = 0;
    // The stop (guest generation, vCPU) and frame a bare `list` last centred on: the next one
    // goes on from there, a new stop or frame centres again.
    std::optional<std::tuple<std::uint64_t, int, std::size_t>> listed_at_;
};

} // namespace kdive::cli
