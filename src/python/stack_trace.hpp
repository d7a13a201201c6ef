// A kernel stack as Python sees it: machine frames from kdive's unwinder, each expanded into the
// inlined calls at its pc, with names, lines and the DWARF variables of each.
#pragma once

#include "debuginfo/function_scope.hpp"
#include "eval/frame_variables.hpp"
#include "python/program.hpp"

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

struct StackTrace {
    std::vector<StackFrame> frames;
    std::string stop_reason; // why the unwind ended early; empty at the stack's natural end
    std::string whose;       // "pid 1 (init)", "CPU 0"
};

// The stack of a task (running ones from their vCPU's registers) or of a vCPU.
Result<StackTrace> task_stack_trace(const std::shared_ptr<Program>& prog, std::uint64_t task);
Result<StackTrace> vcpu_stack_trace(const std::shared_ptr<Program>& prog, int vcpu);

// A frame's parameter or local; nullopt when it has none by that name.
std::optional<Result<eval::Value>> frame_variable(StackFrame& frame, std::string_view name);
// Its parameters, then its locals (innermost block first).
std::vector<std::string> frame_variable_names(const StackFrame& frame);

} // namespace kdive::python
