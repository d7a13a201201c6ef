// Every task with a pid, found through init_pid_ns's pid table (an xarray) instead of the task
// list: breadth-first, one batched read per level, so thousands of tasks cost a few round trips.
#pragma once

#include "kernel/kernel.hpp"

#include <cstdint>
#include <vector>

namespace kdive::kernel {

// Offsets the walk needs, from the debug info.
struct PidTableLayout {
    std::uint64_t head = 0;           // init_pid_ns.idr.idr_rt.xa_head, from init_pid_ns
    std::uint64_t slots = 0;          // xa_node.slots
    std::size_t slot_count = 0;       // 64 unless CONFIG_BASE_SMALL
    std::uint64_t pid_tasks = 0;      // pid.tasks (tasks[PIDTYPE_PID].first is first)
    std::uint64_t task_pid_links = 0; // task_struct.pid_links
};

Result<PidTableLayout> pid_table_layout(Kernel& kernel);

// task_struct addresses of the tasks attached to a pid of the initial namespace (order is the
// table's, by pid). Errors name the structure that could not be read.
Result<std::vector<std::uint64_t>> tasks_from_pid_table(eval::MemoryReader& memory,
                                                        std::uint64_t init_pid_ns,
                                                        const PidTableLayout& layout);
Result<std::vector<std::uint64_t>> tasks_from_pid_table(Kernel& kernel);

} // namespace kdive::kernel
