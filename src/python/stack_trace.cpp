// Unwinding a task's or a vCPU's kernel stack for Python, and the frames' source view.
#include "python/stack_trace.hpp"

#include "arch/architecture.hpp"
#include "kernel/target_memory.hpp"
#include "kernel/task_walker.hpp"

#include <fmt/core.h>
#include <unordered_map>

namespace kdive::python {

namespace {

constexpr std::size_t max_frames = 64;

// What the vmlinux says about a code address (file address): its scopes, line and symbol.
struct CodeFacts {
    bool in_image = false;
    std::optional<debuginfo::SourceLine> line;
    std::vector<debuginfo::FunctionScope> scopes;
    std::string symbol;
};

const CodeFacts& code_facts(Program& prog, std::uint64_t lookup) {
    using Cache = std::unordered_map<std::uint64_t, CodeFacts>;
    auto& slot = prog.code_cache();
    if (!slot) {
        slot = std::make_shared<Cache>();
    }
    auto& cache = *std::static_pointer_cast<Cache>(slot);
    if (auto found = cache.find(lookup); found != cache.end()) {
        return found->second;
    }
    auto& info = prog.info();
    CodeFacts facts;
    facts.in_image = info.elf().section_at(lookup) != nullptr;
    if (facts.in_image) {
        facts.line = info.source_line(lookup);
        if (auto scopes = debuginfo::function_scopes_at(info.dwarf(), lookup)) {
            facts.scopes = std::move(*scopes);
        }
        if (const auto* symbol = info.symbols().function_at(lookup)) {
            facts.symbol = std::string(symbol->name);
        }
    }
    return cache.emplace(lookup, std::move(facts)).first->second;
}

// The innermost frame only: StackTrace unwinds the rest when a frame past it is asked for.
Result<std::shared_ptr<StackTrace>> first_frame(const std::shared_ptr<Program>& prog,
                                                kernel::StackUnwinder& unwinder,
                                                const kernel::RegisterSet& start,
                                                std::string whose) {
    auto trace = unwinder.unwind(start, 1);
    if (!trace) {
        return std::unexpected(trace.error());
    }
    return std::make_shared<StackTrace>(prog, std::move(*trace), start, std::move(whose));
}

} // namespace

StackTrace::StackTrace(std::shared_ptr<Program> prog, kernel::Backtrace machine,
                       const std::optional<kernel::RegisterSet>& start, std::string whose)
    : prog_(std::move(prog)), machine_(std::move(machine)), start_(start),
      whose_(std::move(whose)) {
    if (auto target = prog_->target()) {
        generation_ = (*target)->guest_generation();
    }
}

const std::vector<StackFrame>& StackTrace::frames(std::size_t count) {
    for (;;) {
        while (frames_.size() < count && expanded_ < machine_.frames.size()) {
            expand(machine_.frames[expanded_++]);
        }
        if (frames_.size() >= count || !start_) {
            return frames_;
        }
        // The rest of the stack, while the guest is where it was: the same unwind again, whole.
        auto start = std::exchange(start_, std::nullopt);
        auto target = prog_->target();
        auto unwinder = prog_->unwinder();
        if (!target || !unwinder || (*target)->guest_generation() != generation_) {
            machine_.stop_reason = "the guest ran since the stack was read";
            return frames_;
        }
        auto whole = (*unwinder)->unwind(*start, max_frames);
        if (!whole) {
            machine_.stop_reason = whole.error().message;
            return frames_;
        }
        machine_ = std::move(*whole);
    }
}

void StackTrace::expand(const kernel::UnwoundFrame& machine) {
    auto& scope = prog_->eval().scope();
    StackFrame base;
    base.prog = prog_;
    base.pc = machine.pc;
    base.sp = machine.sp;
    base.registers = machine.regs;
    base.generation = generation_;
    // A return address names the call before it; an interrupted pc names itself.
    base.interrupted = machine.level == 0 || machine.from_pt_regs;
    const std::uint64_t runtime_lookup = base.interrupted ? machine.pc : machine.pc - 1;
    const std::uint64_t lookup = scope.to_file_address(runtime_lookup);
    const CodeFacts& code = code_facts(*prog_, lookup);
    const auto& line = code.line;
    const auto& scopes = code.scopes;
    if (scopes.empty()) {
        StackFrame frame = base;
        if (!code.symbol.empty()) {
            frame.function = code.symbol;
        } else if (auto* images = code.in_image ? nullptr : scope.loaded_images()) {
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
        frame.index = frames_.size();
        frames_.push_back(std::move(frame));
        return;
    }
    // Innermost inlined call first; each outer scope is at the line its inner one was called
    // from.
    for (std::size_t j = 0; j < scopes.size(); ++j) {
        StackFrame frame = base;
        const auto& here = scopes[j];
        frame.function = here.name;
        frame.is_inline = here.inlined;
        if (j == 0) {
            if (line) {
                frame.file = line->file;
                frame.line = line->line;
            }
        } else {
            frame.file = scopes[j - 1].call_file;
            frame.line = scopes[j - 1].call_line;
        }
        frame.state = eval::FrameState{here, machine.regs, lookup, scope.load_offset()};
        frame.index = frames_.size();
        frames_.push_back(std::move(frame));
    }
}

Result<std::shared_ptr<StackTrace>> vcpu_stack_trace(const std::shared_ptr<Program>& prog,
                                                     int vcpu) {
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
    auto registers = kernel::vcpu_registers(arch::architecture_of(**target), own);
    if (!registers) {
        return std::unexpected(registers.error());
    }
    const std::string whose = fmt::format("CPU {}", vcpu);
    const std::uint64_t pc = registers->pc().value_or(0);
    if (!kernel::is_kernel_address(pc)) {
        kernel::Backtrace user;
        user.stop_reason =
            fmt::format("CPU {} is in user mode (pc 0x{:x}): no kernel frames", vcpu, pc);
        return std::make_shared<StackTrace>(prog, std::move(user), std::nullopt, whose);
    }
    return first_frame(prog, **unwinder, *registers, whose);
}

Result<std::shared_ptr<StackTrace>> task_stack_trace(const std::shared_ptr<Program>& prog,
                                                     std::uint64_t task) {
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
    if (auto vcpu = (*running)->vcpu_of(task, registers->sp())) {
        return vcpu_stack_trace(prog, *vcpu);
    }
    if (auto ok = (*running)->require_sleeping(**view, task); !ok) {
        return std::unexpected(ok.error());
    }
    auto unwinder = prog->unwinder();
    if (!unwinder) {
        return std::unexpected(unwinder.error());
    }
    return first_frame(prog, **unwinder, *registers, fmt::format("task 0x{:x}", task));
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
