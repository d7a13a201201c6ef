// Opening, borrowing and closing the program a Python script looks at.
#include "python/program.hpp"

#include "support/cache_dir.hpp"

#include <fmt/core.h>

namespace kdive::python {

Result<std::shared_ptr<Program>> Program::attach(const cli::TargetSource& source) {
    auto opened = cli::open_target(source);
    if (!opened) {
        return std::unexpected(opened.error());
    }
    if (opened->vmlinux.empty()) {
        return fail_as(ErrorKind::invalid_input,
                       "{}: no vmlinux is known for this target: pass vmlinux=", source.where);
    }
    auto capture = cli::OutputCapture::create();
    if (!capture) {
        return std::unexpected(capture.error());
    }
    cli::DebuggerOptions options;
    // Not batch: the session's status lines (the detach notice) go to the capture, not to the
    // script's stderr.
    options.stop_timeout = std::chrono::minutes(5); // step, next and finish end
    auto stack =
        cli::DebuggerStack::create(*opened->target, opened->vmlinux, options, (*capture)->file());
    if (!stack) {
        return std::unexpected(stack.error());
    }
    std::shared_ptr<Program> program(new Program());
    program->owns_ = true;
    program->description_ = opened->target->describe();
    program->owned_target_ = std::move(opened->target);
    program->owned_stack_ = std::move(*stack);
    program->capture_ = std::move(*capture);
    program->target_ = program->owned_target_.get();
    program->stack_ = program->owned_stack_.get();
    program->info_ = program->stack_->info();
    program->eval_ = program->stack_->eval();
    return program;
}

Result<std::shared_ptr<Program>> Program::inspect(const std::filesystem::path& vmlinux) {
    debuginfo::DebugInfoOptions options;
    options.cache_root = cache_dir();
    options.finish_index_detached = true;
    auto info = debuginfo::DebugInfo::open(vmlinux, options);
    if (!info) {
        return std::unexpected(info.error());
    }
    std::shared_ptr<Program> program(new Program());
    program->owns_ = true;
    program->description_ = fmt::format("vmlinux {}", vmlinux.string());
    program->owned_info_ = std::move(*info);
    program->owned_eval_ = std::make_unique<cli::EvalCommands>(*program->owned_info_);
    program->info_ = program->owned_info_.get();
    program->eval_ = program->owned_eval_.get();
    return program;
}

std::shared_ptr<Program> Program::borrow(target::Target& target, cli::DebuggerStack& stack) {
    std::shared_ptr<Program> program(new Program());
    program->description_ = target.describe();
    program->target_ = &target;
    program->stack_ = &stack;
    program->info_ = stack.info();
    program->eval_ = stack.eval();
    return program;
}

Program::~Program() {
    close();
}

void Program::close() {
    if (closed_) {
        return;
    }
    closed_ = true;
    unwinder_.reset();
    vcpu_tasks_.reset();
    kernel_view_ = nullptr;
    if (owns_ && owned_stack_) {
        (void)owned_stack_->session().finish(); // breakpoints out, the guest runs on
    }
    // The connection goes now, not when Python collects the last object: QEMU serves one
    // debugger at a time. Whatever still refers to this program raises from here on.
    stack_ = nullptr;
    target_ = nullptr;
    eval_ = nullptr;
    info_ = nullptr;
    owned_stack_.reset();
    owned_target_.reset();
    owned_eval_.reset();
    owned_info_.reset();
    capture_.reset();
    front_end_state_.reset(); // breakpoints' callbacks may hold the program: the cycle ends here
}

Result<> Program::check_open() const {
    if (closed_) {
        return fail_as(ErrorKind::unsupported, "the program ({}) is closed", description_);
    }
    if (eval_ == nullptr) {
        return fail_as(ErrorKind::unsupported, "{}: no vmlinux, so no symbols or types",
                       description_);
    }
    return {};
}

Result<kernel::Kernel*> Program::kernel() {
    if (auto ok = check_open(); !ok) {
        return std::unexpected(ok.error());
    }
    auto* commands = kernel_commands();
    if (commands == nullptr || target_ == nullptr) {
        return fail_as(ErrorKind::unsupported,
                       "{} is a kernel image alone: there is no running kernel to read",
                       description_);
    }
    // Checked once per stop: the check reads every vCPU's registers.
    const std::uint64_t generation = target_->guest_generation();
    if (kernel_view_ == nullptr || kernel_generation_ != generation) {
        auto view = cli::check_kernel_view(*commands, *target_);
        if (!view) {
            return std::unexpected(view.error());
        }
        if (*view == nullptr) {
            return fail_as(ErrorKind::unsupported,
                           "the kernel has not started yet (every vCPU is at the reset vector)");
        }
        kernel_view_ = *view;
        kernel_generation_ = generation;
    }
    return kernel_view_;
}

Result<const kernel::VcpuTasks*> Program::vcpu_tasks() {
    auto view = kernel();
    if (!view) {
        return std::unexpected(view.error());
    }
    const std::uint64_t generation = target_->guest_generation();
    if (!vcpu_tasks_ || vcpu_tasks_generation_ != generation) {
        auto read = kernel::VcpuTasks::read(**view, *target_);
        if (!read) {
            return std::unexpected(read.error());
        }
        vcpu_tasks_ = std::move(*read);
        vcpu_tasks_generation_ = generation;
    }
    return &*vcpu_tasks_;
}

Result<target::Target*> Program::target() {
    if (auto ok = check_open(); !ok) {
        return std::unexpected(ok.error());
    }
    if (target_ == nullptr) {
        return fail_as(ErrorKind::unsupported, "{} is a kernel image alone: it has no target",
                       description_);
    }
    return target_;
}

Result<target::Target*> Program::live_target() {
    auto found = target();
    if (!found) {
        return found;
    }
    if (!(*found)->has_execution()) {
        return fail_as(ErrorKind::unsupported, "{} is read-only: it cannot run or stop",
                       description_);
    }
    return found;
}

Result<kernel::StackUnwinder*> Program::unwinder() {
    auto view = kernel();
    if (!view) {
        return std::unexpected(view.error());
    }
    const std::uint64_t generation = target_->guest_generation();
    if (!unwinder_) {
        auto created = kernel::StackUnwinder::create(**view);
        if (!created) {
            return std::unexpected(created.error());
        }
        unwinder_ = std::move(*created);
    } else if (unwinder_generation_ != generation) {
        unwinder_->invalidate();
    }
    unwinder_generation_ = generation;
    return unwinder_.get();
}

Result<std::string> Program::command(std::string_view line) {
    if (auto ok = check_open(); !ok) {
        return std::unexpected(ok.error());
    }
    // The command sets that answer with text come first: a borrowed session prints the rest
    // to the terminal.
    if (auto* commands = kernel_commands()) {
        if (auto answer = commands->run(line)) {
            return std::move(*answer);
        }
    }
    if (auto answer = eval_->run(line)) {
        return std::move(*answer);
    }
    if (stack_ == nullptr) {
        return fail_as(ErrorKind::invalid_input, "Undefined command: \"{}\".", line);
    }
    if (capture_) {
        (void)capture_->take();
    }
    auto ok = stack_->session().execute(line);
    std::string text = capture_ ? capture_->take() : std::string();
    if (!ok) {
        return std::unexpected(ok.error());
    }
    return text;
}

} // namespace kdive::python
