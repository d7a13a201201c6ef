// Every task of the kernel: processes from init_task.tasks, and each process's threads.
#pragma once

#include "kernel/kernel.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

namespace kdive::kernel {

struct TaskInfo {
    std::uint64_t task = 0; // task_struct address
    int pid = 0;
    int tgid = 0;
    int ppid = 0; // real_parent's tgid, as /proc shows it
    char state = '?';
    int cpu = 0;
    std::string comm;
    std::string name; // as /proc/PID/comm shows it (TaskNames); empty: the comm
    std::uint64_t real_parent = 0;
};

class TaskWalker {
public:
    // Takes the task_struct layout from the debug info and decides how threads are linked.
    static Result<TaskWalker> create(Kernel& kernel);

    // init_task and every task on its list, threads following their group leader.
    Result<std::vector<TaskInfo>> all_tasks();
    // One task's facts (ppid read from its parent).
    Result<TaskInfo> describe(std::uint64_t task);
    // Where thread_info sits in task_struct (0 with CONFIG_THREAD_INFO_IN_TASK); nullopt if
    // thread_info is not embedded.
    std::optional<std::uint64_t> thread_info_offset() const { return thread_info_offset_; }
    // How threads are found in this kernel ("signal->thread_head" or "thread_group").
    std::string_view thread_links() const {
        return thread_head_ ? "signal->thread_head" : "thread_group";
    }

private:
    explicit TaskWalker(Kernel& kernel) : kernel_(&kernel) {}
    // Reads the part of a task_struct holding every field we use, in one round trip (or
    // takes it from the prefetched ones).
    Result<Record> read_task(std::uint64_t task);
    // The ranges read_task reads for one task.
    std::vector<eval::ReadRange> task_ranges(std::uint64_t task) const;
    Record assemble(std::uint64_t task, std::span<const std::vector<std::byte>> parts) const;
    // Reads every task the pid table names in a few batches; the walk then only visits them.
    void prefetch();
    TaskInfo decode(const Record& record) const;
    std::uint64_t field_u64(const Record& record, const Field& field) const;
    Result<std::vector<std::uint64_t>> other_threads(std::uint64_t leader, const Record& record);

    Kernel* kernel_;
    std::uint64_t window_start_ = 0; // offsets of the part of task_struct read for each task
    std::uint64_t window_end_ = 0;
    // The used fields grouped into runs without large gaps: one read each.
    std::vector<std::pair<std::uint64_t, std::uint64_t>> clusters_;
    Field pid_, tgid_, state_, exit_state_, comm_, cpu_, real_parent_, tasks_, signal_;
    Field thread_list_; // thread_node (6.7+) or thread_group
    bool thread_head_ = false;
    std::uint64_t signal_thread_head_ = 0; // offsetof(struct signal_struct, thread_head)
    std::optional<std::uint64_t> thread_info_offset_;
    std::unordered_map<std::uint64_t, Record> prefetched_; // for one all_tasks() call
};

} // namespace kdive::kernel
