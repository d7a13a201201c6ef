// The name /proc/PID/comm shows for a task (fs/proc/array.c, proc_task_name): a kernel
// thread's full name, which 6.x keeps in its struct kthread beyond task->comm's 15 bytes, and a
// workqueue worker's last work queue after '+' (working now) or '-' (idle), "kworker/0:1-events".
#pragma once

#include "kernel/kernel.hpp"
#include "kernel/struct_layout.hpp"
#include "kernel/task_walker.hpp"
#include "support/error.hpp"

#include <optional>
#include <span>
#include <string>
#include <vector>

namespace kdive::kernel {

class TaskNames {
public:
    // Reads the layouts it needs; a kernel without struct kthread's full_name (before 6.0) or
    // without the worker fields names kernel threads by their comm, as its /proc does.
    static Result<TaskNames> create(Kernel& kernel);

    // One name per task, in a few batched reads. A task whose kthread or worker cannot be read
    // (a hostile or freed pointer) keeps its comm.
    std::vector<std::string> names(std::span<const TaskInfo> tasks);

private:
    explicit TaskNames(Kernel& kernel) : kernel_(&kernel) {}
    // Each range read alone when the batch fails, so one bad pointer costs only its own task.
    std::vector<std::optional<std::vector<std::byte>>>
    read_each(std::span<const eval::ReadRange> ranges);

    Kernel* kernel_;
    Field flags_;
    Field kthread_pointer_; // task_struct.worker_private (5.17+) or set_child_tid
    std::optional<Field> kthread_data_;
    std::optional<Field> kthread_full_name_;
    std::optional<Field> worker_desc_;
    std::optional<Field> worker_current_work_;
};

} // namespace kdive::kernel
