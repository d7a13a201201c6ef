// Unwinding a task's or a vCPU's kernel stack for Python, and the frames' source view.
#include "python/stack_trace.hpp"

#include "kernel/target_memory.hpp"
#include "kernel/task_walker.hpp"

#include <fmt/core.h>

namespace kdive::python {

namespace {

constexpr std::size_t max_frames = 64;

StackTrace source_frames(const std::shared_ptr<Program>& prog, const kernel::Backtrace& trace,
                         std::string whose) {
    StackTrace out;
    out.stop_reason = trace.stop_reason;
    out.whose = std::move(whose);
    auto& info = prog->info();
    auto& scope = prog->eval().scope();
    const std::uint64_t load_offset = scope.load_offset();
    auto target = prog->target();
    const std::uint64_t generation = target ? (*target)->guest_generation() : 0;
    for (const auto& machine : trace.frames) {
        StackFrame base;
        base.prog = prog;
        base.pc = machine.pc;
        base.sp = machine.sp;
        base.registers = machine.regs;
        base.generation = generation;
        // A return address names the call before it; an interrupted pc names itself.
        base.interrupted = machine.level == 0 || machine.from_pt_regs;
        const std::uint64_t runtime_lookup = base.interrupted ? machine.pc : machine.pc - 1;
        const std::uint64_t lookup = scope.to_file_address(runtime_lookup);
        const bool in_image = info.elf().section_at(lookup) != nullptr;
        auto line = in_image ? info.source_line(lookup) : std::nullopt;
        auto scopes = in_image ? debuginfo::function_scopes_at(info.dwarf(), lookup)
                               : Result<std::vector<debuginfo::FunctionScope>>();
        if (!in_image || !scopes || scopes->empty()) {
            StackFrame frame = base;
            if (const auto* symbol = in_image ? info.symbols().function_at(lookup) : nullptr) {
                frame.function = std::string(symbol->name);
            } else if (auto* images = scope.loaded_images()) {
                if (auto where = images->describe(runtime_lookup)) {
                    frame.function = where->symbol;
                    frame.module = where->image;
                    if (where->line) {
                        frame.file = where->line->file;
                        frame.line = where->line->line;
                    }
                }
            }
            if (line) {
                frame.file = line->file;
                frame.line = line->line;
            }
            frame.index = out.frames.size();
            out.frames.push_back(std::move(frame));
            continue;
        }
        // Innermost inlined call first; each outer scope is at the line its inner one was
        // called from.
        for (std::size_t j = 0; j < scopes->size(); ++j) {
            StackFrame frame = base;
            const auto& here = (*scopes)[j];
            frame.function = here.name;
            frame.is_inline = here.inlined;
            if (j == 0) {
                if (line) {
                    frame.file = line->file;
                    frame.line = line->line;
                }
            } else {
                frame.file = (*scopes)[j - 1].call_file;
                frame.line = (*scopes)[j - 1].call_line;
            }
            frame.state = eval::FrameState{here, machine.regs, lookup, load_offset};
            frame.index = out.frames.size();
            out.frames.push_back(std::move(frame));
        }
    }
    return out;
}

} // namespace

Result<StackTrace> vcpu_stack_trace(const std::shared_ptr<Program>& prog, int vcpu) {
    auto target = prog->target();
    if (!target) {
        return std::unexpected(target.error());
    }
    if (vcpu < 0 || vcpu >= (*target)->vcpu_count()) {
        return fail_as(ErrorKind::invalid_input, "there is no CPU {} (the target has {})", vcpu,
                       (*target)->vcpu_count());
    }
    auto unwinder = prog->unwinder();
    if (!unwinder) {
        return std::unexpected(unwinder.error());
    }
    kernel::CpuRegisterReader own(**target, vcpu);
    auto registers = kernel::vcpu_registers(own);
    if (!registers) {
        return std::unexpected(registers.error());
    }
    const std::string whose = fmt::format("CPU {}", vcpu);
    const std::uint64_t pc = *registers->regs[kernel::reg_rip];
    if (!kernel::is_kernel_address(pc)) {
        kernel::Backtrace user;
        user.stop_reason =
            fmt::format("CPU {} is in user mode (rip 0x{:x}): no kernel frames", vcpu, pc);
        return source_frames(prog, user, whose);
    }
    auto trace = (*unwinder)->unwind(*registers, max_frames);
    if (!trace) {
        return std::unexpected(trace.error());
    }
    return source_frames(prog, *trace, whose);
}

Result<StackTrace> task_stack_trace(const std::shared_ptr<Program>& prog, std::uint64_t task) {
    auto view = prog->kernel();
    if (!view) {
        return std::unexpected(view.error());
    }
    auto running = prog->vcpu_tasks();
    if (!running) {
        return std::unexpected(running.error());
    }
    if (auto vcpu = (*running)->vcpu_of(task, std::nullopt)) {
        return vcpu_stack_trace(prog, *vcpu);
    }
    auto registers = kernel::sleeping_task_registers(**view, task);
    if (!registers) {
        return std::unexpected(registers.error());
    }
    if (auto vcpu = (*running)->vcpu_of(task, registers->regs[kernel::reg_rsp])) {
        return vcpu_stack_trace(prog, *vcpu);
    }
    if (auto ok = (*running)->require_sleeping(**view, task); !ok) {
        return std::unexpected(ok.error());
    }
    auto unwinder = prog->unwinder();
    if (!unwinder) {
        return std::unexpected(unwinder.error());
    }
    auto trace = (*unwinder)->unwind(*registers, max_frames);
    if (!trace) {
        return std::unexpected(trace.error());
    }
    return source_frames(prog, *trace, fmt::format("task 0x{:x}", task));
}

std::optional<Result<eval::Value>> frame_variable(StackFrame& frame, std::string_view name) {
    if (!frame.state) {
        return std::nullopt;
    }
    eval::FrameVariables variables(frame.prog->info(), frame.prog->memory());
    return variables.find(*frame.state, name);
}

std::vector<std::string> frame_variable_names(const StackFrame& frame) {
    std::vector<std::string> names;
    if (!frame.state) {
        return names;
    }
    for (const auto& v : frame.state->scope.parameters) {
        names.push_back(v.name);
    }
    for (const auto& v : frame.state->scope.locals) {
        names.push_back(v.name);
    }
    return names;
}

} // namespace kdive::python
