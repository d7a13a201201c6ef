// The run queues as crash's runq shows them: per online CPU the task running, then the CFS
// tree in its order (vruntime before 6.6, EEVDF's deadline after), group entities opened into
// their tasks, then the RT queues by priority and the deadline tree.
#pragma once

#include "kernel/kernel.hpp"
#include "support/error.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace kdive::kernel {

struct QueuedTask {
    std::uint64_t task = 0;
    std::string policy; // "CFS", "RT", "DL"
    int depth = 0;      // task-group nesting in the CFS tree
    std::uint64_t vruntime = 0;
    int priority = 0; // task_struct.prio
};

struct CpuRunQueue {
    int cpu = 0;
    std::uint64_t rq = 0;      // struct rq
    std::uint64_t current = 0; // rq->curr
    std::vector<QueuedTask> queued;
};

Result<std::vector<CpuRunQueue>> read_run_queues(Kernel& kernel);

} // namespace kdive::kernel
