// A kernel stack as Python sees it: machine frames from kdive's unwinder, each expanded into the
// inlined calls at its pc, with names, lines and the DWARF variables of each.
#pragma once

#include "debuginfo/function_scope.hpp"
#include "eval/frame_variables.hpp"
#include "kernel/stack_unwinder.hpp"
#include "python/program.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace kdive::python {

struct StackFrame {
    std::shared_ptr<Program> prog;
    std::size_t index = 0;
    std::uint64_t pc = 0;
    std::uint64_t sp = 0;
    bool is_inline = false;
    bool interrupted = false; // the pc is where an exception or interrupt stopped, not a return
    std::string function;     // empty when nothing names the pc
    std::string file;
    int line = 0;
    std::optional<std::string> module;
    debuginfo::FrameRegisters registers;
    std::optional<eval::FrameState> state; // with DWARF for the pc: its variables
    std::uint64_t generation = 0;          // the stop the frame belongs to
};

// Unwound and looked up (DWARF scopes, lines) as far as frames are asked for: a script reading
// frame 0 of every task pays for frame 0.
class StackTrace {
public:
    // `machine` is the innermost frame, `start` what unwinds the rest (none: nothing more).
    StackTrace(std::shared_ptr<Program> prog, kernel::Backtrace machine,
               const std::optional<kernel::RegisterSet>& start, std::string whose);

    // The first `count` frames (fewer when the stack has fewer).
    const std::vector<StackFrame>& frames(std::size_t count);
    const std::vector<StackFrame>& all_frames() { return frames(SIZE_MAX); }
    const std::string& stop_reason() const { return machine_.stop_reason; }
    const std::string& whose() const { return whose_; }

private:
    void expand(const kernel::UnwoundFrame& machine);

    std::shared_ptr<Program> prog_;
    kernel::Backtrace machine_;
    std::optional<kernel::RegisterSet> start_; // set until the whole stack is unwound
    std::string whose_;
    std::size_t expanded_ = 0; // machine frames turned into source frames
    std::vector<StackFrame> frames_;
    std::uint64_t generation_ = 0;
};

// The stack of a task (running ones from their vCPU's registers) or of a vCPU.
Result<std::shared_ptr<StackTrace>> task_stack_trace(const std::shared_ptr<Program>& prog,
                                                     std::uint64_t task);
Result<std::shared_ptr<StackTrace>> vcpu_stack_trace(const std::shared_ptr<Program>& prog,
                                                     int vcpu);

// A frame's parameter or local; nullopt when it has none by that name.
std::optional<Result<eval::Value>> frame_variable(StackFrame& frame, std::string_view name);
// Its parameters, then its locals (innermost block first).
std::vector<std::string> frame_variable_names(const StackFrame& frame);

} // namespace kdive::python
