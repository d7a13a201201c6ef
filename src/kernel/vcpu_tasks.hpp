// Which task each vCPU runs, and the idle tasks that only the run queues name: what backtraces
// and the GDB server need to tell a running task (the vCPU's registers) from a sleeping one
// (its saved frame).
#pragma once

#include "kernel/kernel.hpp"
#include "target/target.hpp"

#include <cstdint>
#include <optional>
#include <vector>

namespace kdive::kernel {

// Per vCPU: the task current_task names, and the base of another task's stack when the vCPU is
// switching to that task (foreign_task_stack), else 0.
struct VcpuTask {
    std::uint64_t current = 0;
    std::uint64_t switching_to_stack = 0;
    std::optional<Error> unreadable; // why `current` is unknown for this online CPU
};

class VcpuTasks {
public:
    // Reads every vCPU's registers (without moving the target's selection) and its current
    // task through its own per-CPU base, so no CPU number is assumed to equal a vCPU index.
    static Result<VcpuTasks> read(Kernel& kernel, target::Target& target);

    const std::vector<VcpuTask>& slots() const { return slots_; }
    // The vCPU whose registers belong to `task`: current there (not mid-switch), or switching
    // to the stack that `sp` (the task's saved stack pointer, when known) lies in.
    std::optional<int> vcpu_of(std::uint64_t task, std::optional<std::uint64_t> sp) const;
    // Succeeds when `task`, matched to no vCPU, is really off every CPU: when some CPU's
    // current task is unknown, the task's own on_cpu must say so, or its saved registers may
    // be stale and a trace from them plausible but wrong.
    Result<> require_sleeping(Kernel& kernel, std::uint64_t task) const;

private:
    std::vector<VcpuTask> slots_;
    std::uint64_t thread_size_ = 0;
};

// Each online CPU's idle task (rq->idle): only CPU 0's, init_task, is on the task list.
Result<std::vector<std::uint64_t>> idle_tasks(Kernel& kernel);

// Kernel addresses are in the upper half; anything else is a user-mode pc.
inline bool is_kernel_address(std::uint64_t address) {
    return arch::is_kernel_address(address);
}

} // namespace kdive::kernel
