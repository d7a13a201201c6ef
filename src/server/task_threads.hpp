// The threads the server shows a debugger: every kernel task (thread id = pid), each CPU's idle
// task under an id of its own, and the vCPU each running task is on. Before the kernel can be
// read (at the reset vector, or without a vmlinux) the threads are the vCPUs themselves.
#pragma once

#include "kernel/kernel.hpp"
#include "target/target.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace kdive::server {

// Idle tasks all have pid 0: CPU C's is thread idle_thread_base + C, above any pid the kernel
// can hand out (PID_MAX_LIMIT is 4194304).
inline constexpr std::uint64_t idle_thread_base = 4194304;

struct ServedThread {
    std::uint64_t id = 0;   // the protocol's thread id (never 0 or -1)
    std::uint64_t task = 0; // task_struct; 0 for a vCPU shown as itself
    int pid = 0;
    int cpu = -1; // the CPU the task last ran on, -1 when unknown
    char state = '?';
    std::string comm;        // as the guest holds it (raw bytes)
    std::optional<int> vcpu; // the vCPU it runs on now; none for a sleeping task
};

class TaskThreads {
public:
    // `kernel` gives the kernel view, or why there is none (no vmlinux, kernel not running).
    using KernelSource = std::function<Result<kernel::Kernel*>()>;
    TaskThreads(target::Target& target, KernelSource kernel)
        : target_(target), kernel_(std::move(kernel)) {}

    // Read again whenever the guest has changed since the last call.
    const std::vector<ServedThread>& threads();
    const ServedThread* find(std::uint64_t id);
    // The thread running on `vcpu` (the one a stop reply names).
    const ServedThread* on_vcpu(int vcpu);
    // Why the threads are vCPUs rather than tasks; empty when they are tasks.
    const std::string& why_not_tasks() { return threads(), why_not_tasks_; }

private:
    Result<std::vector<ServedThread>> read_tasks(kernel::Kernel& kernel);
    std::vector<ServedThread> vcpu_threads() const;

    target::Target& target_;
    KernelSource kernel_;
    std::optional<std::uint64_t> generation_;
    std::vector<ServedThread> threads_;
    std::string why_not_tasks_;
};

// "comm [pid P, CPU C, state S]" or "CPU#n [vCPU]" for qThreadExtraInfo and the thread list:
// printable whatever bytes the guest's comm holds.
std::string thread_description(const ServedThread& thread);

} // namespace kdive::server
