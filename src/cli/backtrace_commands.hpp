// bt, bt PID|TASK, bt -a and foreach bt: kernel stack traces as text or JSON.
#pragma once

#include "cli/kernel_output.hpp"
#include "debuginfo/debug_info.hpp"
#include "kernel/kernel.hpp"
#include "kernel/module_list.hpp"
#include "kernel/stack_unwinder.hpp"
#include "support/error.hpp"
#include "target/target.hpp"

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace kdive::cli {

class KernelCommands;

class BacktraceCommands {
public:
    BacktraceCommands(KernelCommands& commands, debuginfo::DebugInfo& info, target::Target& target);
    ~BacktraceCommands();

    // "bt [-a|PID|0xTASK]" and "foreach bt"; `args` without the command word and --json.
    Result<std::string> bt(std::vector<std::string>& args, bool json);
    Result<std::string> foreach_bt(std::vector<std::string>& args, bool json);
    // Forgets module lists and cached names (after the guest ran).
    void invalidate();

private:
    struct TaskTrace;
    Result<kernel::Kernel*> ready();
    Result<kernel::Backtrace> trace_vcpu(int vcpu);
    Result<kernel::Backtrace> trace_task(std::uint64_t task);
    const FrameName& name(const kernel::UnwoundFrame& frame);
    std::string format_frames(const kernel::Backtrace& trace);
    nlohmann::json json_frames(const kernel::Backtrace& trace);
    std::vector<FrameName> names(const kernel::Backtrace& trace);
    // Per vCPU: the task current_task names, and the base of another task's stack when the
    // vCPU is switching to that task (kernel::foreign_task_stack), else 0.
    struct VcpuTask {
        std::uint64_t current = 0;
        std::uint64_t switching_to_stack = 0;
        std::optional<Error> unreadable; // why `current` is unknown for this online CPU
    };
    Result<std::vector<VcpuTask>> running_tasks();
    // Succeeds when `task`, matched to no vCPU, is really off every CPU: when some CPU's
    // current task is unknown, the task's own on_cpu must say so, or its saved registers may
    // be stale and the trace plausible but wrong.
    Result<> require_sleeping(const std::vector<VcpuTask>& running, std::uint64_t task);
    // The vCPU whose registers belong to `task`: current there (not mid-switch), or switching
    // to the stack that `sp` (the task's saved stack pointer, when known) lies in.
    std::optional<int> vcpu_of(const std::vector<VcpuTask>& running, std::uint64_t task,
                               std::optional<std::uint64_t> sp);

    KernelCommands& commands_;
    debuginfo::DebugInfo& info_;
    target::Target& target_;
    std::unique_ptr<kernel::StackUnwinder> unwinder_;
    std::optional<std::vector<kernel::ModuleInfo>> modules_;
    std::map<std::pair<std::uint64_t, bool>, FrameName> names_;
    std::uint64_t thread_size_ = 0;
};

} // namespace kdive::cli
