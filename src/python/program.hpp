// The program a Python script looks at: a target kdive opened (or the REPL's own), or a vmlinux
// alone, with the debugger stack that evaluates, unwinds and steps on it.
#pragma once

#include "cli/debugger_stack.hpp"
#include "cli/output_capture.hpp"
#include "cli/target_opening.hpp"
#include "eval/expression_evaluator.hpp"
#include "kernel/kernel.hpp"
#include "kernel/stack_unwinder.hpp"
#include "kernel/vcpu_tasks.hpp"
#include "support/error.hpp"
#include "target/target.hpp"

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

namespace kdive::python {

class Program {
public:
    // What `kdive attach` opens: a session folder, an endpoint or a vmcore.
    static Result<std::shared_ptr<Program>> attach(const cli::TargetSource& source);
    // A vmlinux alone: types, symbols and the values the file itself holds.
    static Result<std::shared_ptr<Program>> inspect(const std::filesystem::path& vmlinux);
    // The debugger of a REPL, which stays its owner: close() before it goes away.
    static std::shared_ptr<Program> borrow(target::Target& target, cli::DebuggerStack& stack);

    ~Program();
    Program(const Program&) = delete;
    Program& operator=(const Program&) = delete;

    // Detaches from a target this program opened; every later use fails with an error.
    void close();
    bool closed() const { return closed_; }
    // An error naming what was closed, once it is.
    Result<> check_open() const;

    // Everything below requires check_open() first.
    cli::EvalCommands& eval() { return *eval_; }
    debuginfo::DebugInfo& info() { return *info_; }
    eval::EvalContext context() { return eval_->context(); }
    eval::ExpressionEvaluator evaluator() { return eval::ExpressionEvaluator(context()); }
    eval::MemoryReader* memory() { return context().memory; }
    // The kernel view of a running kernel; an error for a vmlinux alone or before it runs.
    Result<kernel::Kernel*> kernel();
    cli::KernelCommands* kernel_commands() {
        return stack_ != nullptr ? stack_->kernel() : nullptr;
    }
    // An error for a vmlinux alone.
    Result<target::Target*> target();
    Result<target::Target*> live_target(); // a target that can run: not a vmcore
    cli::DebuggerStack* stack() { return stack_; }
    // One unwinder per stop: its caches are dropped whenever the guest ran.
    Result<kernel::StackUnwinder*> unwinder();
    // Which task each vCPU runs, read once per stop.
    Result<const kernel::VcpuTasks*> vcpu_tasks();
    // A debugger command's output; what it printed is captured, not shown.
    Result<std::string> command(std::string_view line);
    std::string description() const { return description_; }
    // What a front end keeps per program (the Python module's breakpoints).
    std::shared_ptr<void>& front_end_state() { return front_end_state_; }
    // What stack traces learnt about code addresses of the vmlinux (scopes, lines): the same
    // for every stop.
    std::shared_ptr<void>& code_cache() { return code_cache_; }

private:
    Program() = default;

    bool closed_ = false;
    bool owns_ = false;
    std::string description_;
    std::unique_ptr<target::Target> owned_target_;
    std::unique_ptr<cli::DebuggerStack> owned_stack_;
    std::unique_ptr<debuginfo::DebugInfo> owned_info_; // inspect()
    std::unique_ptr<cli::EvalCommands> owned_eval_;    // inspect()
    std::unique_ptr<cli::OutputCapture> capture_;      // where an owned stack prints
    target::Target* target_ = nullptr;
    cli::DebuggerStack* stack_ = nullptr;
    debuginfo::DebugInfo* info_ = nullptr;
    cli::EvalCommands* eval_ = nullptr;
    std::unique_ptr<kernel::StackUnwinder> unwinder_;
    std::optional<std::uint64_t> unwinder_generation_;
    kernel::Kernel* kernel_view_ = nullptr;
    std::optional<std::uint64_t> kernel_generation_; // the stop kernel_view_ was checked at
    std::optional<kernel::VcpuTasks> vcpu_tasks_;
    std::optional<std::uint64_t> vcpu_tasks_generation_;
    std::shared_ptr<void> front_end_state_;
    std::shared_ptr<void> code_cache_;
};

} // namespace kdive::python
