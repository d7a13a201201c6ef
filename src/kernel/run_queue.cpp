// rq = runqueues in each CPU's per-CPU area. A sched_entity with my_q (CONFIG_FAIR_GROUP_SCHED)
// is a group: its tasks are in its own cfs_rq's tree, and the group's running entity (my_q->curr)
// is out of that tree as the CPU's running one is out of the root's. RT tasks hang on
// rt.active.queue[prio] by rt.run_list; deadline tasks on dl.root by dl.rb_node.
#include "kernel/run_queue.hpp"

#include "kernel/list_walker.hpp"
#include "kernel/per_cpu.hpp"
#include "kernel/rb_tree.hpp"

namespace kdive::kernel {

namespace {

constexpr int max_group_depth = 32;

struct SchedLayouts {
    std::uint64_t rq_curr = 0, rq_cfs = 0, rq_rt = 0, rq_dl = 0;
    std::uint64_t cfs_timeline = 0; // cfs_rq.tasks_timeline.rb_root
    std::uint64_t cfs_curr = 0;
    std::uint64_t se_run_node = 0, se_vruntime = 0; // in sched_entity
    std::optional<std::uint64_t> se_my_q;           // group scheduling
    std::uint64_t task_se = 0, task_rt_list = 0, task_dl_node = 0, task_prio = 0;
    std::uint64_t rt_queue = 0, rt_queue_count = 0; // rt_rq.active.queue
    std::uint64_t dl_root = 0;                      // dl_rq.root.rb_root

    Result<> load(Kernel& kernel) {
        auto rq = kernel.layout("rq");
        auto cfs = kernel.layout("cfs_rq");
        auto rt = kernel.layout("rt_rq");
        auto dl = kernel.layout("dl_rq");
        auto se = kernel.layout("sched_entity");
        auto task = kernel.layout("task_struct");
        for (const auto* layout : {&rq, &cfs, &rt, &dl, &se, &task}) {
            if (!*layout) {
                return std::unexpected(layout->error());
            }
        }
        struct Want {
            const StructLayout* layout;
            const char* path;
            std::uint64_t* into;
        };
        for (const Want& want :
             {Want{*rq, "curr", &rq_curr}, Want{*rq, "cfs", &rq_cfs}, Want{*rq, "rt", &rq_rt},
              Want{*rq, "dl", &rq_dl}, Want{*cfs, "tasks_timeline.rb_root", &cfs_timeline},
              Want{*cfs, "curr", &cfs_curr}, Want{*se, "run_node", &se_run_node},
              Want{*se, "vruntime", &se_vruntime}, Want{*task, "se", &task_se},
              Want{*task, "rt.run_list", &task_rt_list}, Want{*task, "dl.rb_node", &task_dl_node},
              Want{*task, "prio", &task_prio}, Want{*dl, "root.rb_root", &dl_root}}) {
            auto offset = want.layout->offset(want.path);
            if (!offset) {
                return std::unexpected(offset.error());
            }
            *want.into = *offset;
        }
        auto queue = (*rt)->require("active.queue");
        if (!queue) {
            return std::unexpected(queue.error());
        }
        rt_queue = queue->offset;
        rt_queue_count = queue->size / 16;
        if (auto my_q = (*se)->field("my_q")) {
            se_my_q = my_q->offset;
        }
        return {};
    }
};

class RunQueueReader {
public:
    RunQueueReader(Kernel& kernel, const SchedLayouts& layouts)
        : kernel_(kernel), layouts_(layouts) {}

    // The tasks of a cfs_rq's tree, groups opened; `running` (the group's curr) is added after
    // the queued ones of its level, as it is runnable but out of the tree.
    Result<> cfs_tasks(std::uint64_t cfs_rq, int depth, int cpu, std::vector<QueuedTask>& out) {
        if (depth > max_group_depth) {
            return fail_as(ErrorKind::corrupt, "CPU {}'s task groups nest deeper than {}", cpu,
                           max_group_depth);
        }
        auto root = kernel_.read_u64(cfs_rq + layouts_.cfs_timeline);
        if (!root) {
            return wrap(root.error(), fmt::format("reading the CFS tree of cfs_rq {:#x}", cfs_rq));
        }
        auto nodes =
            rb_tree_nodes(kernel_, *root, fmt::format("the CFS tree of cfs_rq {:#x}", cfs_rq));
        if (!nodes) {
            return std::unexpected(nodes.error());
        }
        for (const std::uint64_t node : *nodes) {
            const std::uint64_t se = node - layouts_.se_run_node;
            if (auto ok = entity(se, depth, cpu, out); !ok) {
                return ok;
            }
        }
        // The running entity is out of the tree: a group's still holds queued tasks.
        auto curr = kernel_.read_u64(cfs_rq + layouts_.cfs_curr);
        if (!curr) {
            return wrap(curr.error(), fmt::format("reading curr of cfs_rq {:#x}", cfs_rq));
        }
        if (*curr != 0 && layouts_.se_my_q) {
            auto my_q = kernel_.read_u64(*curr + *layouts_.se_my_q);
            if (!my_q) {
                return wrap(my_q.error(), fmt::format("reading my_q of sched_entity {:#x}", *curr));
            }
            if (*my_q != 0) {
                return cfs_tasks(*my_q, depth + 1, cpu, out);
            }
        }
        return {};
    }

    Result<> entity(std::uint64_t se, int depth, int cpu, std::vector<QueuedTask>& out) {
        if (layouts_.se_my_q) {
            auto my_q = kernel_.read_u64(se + *layouts_.se_my_q);
            if (!my_q) {
                return wrap(my_q.error(), fmt::format("reading my_q of sched_entity {:#x}", se));
            }
            if (*my_q != 0) {
                return cfs_tasks(*my_q, depth + 1, cpu, out);
            }
        }
        auto vruntime = kernel_.read_u64(se + layouts_.se_vruntime);
        if (!vruntime) {
            return wrap(vruntime.error(), fmt::format("reading sched_entity {:#x}", se));
        }
        QueuedTask task;
        task.task = se - layouts_.task_se;
        task.policy = "CFS";
        task.depth = depth;
        task.vruntime = *vruntime;
        return add(task, out);
    }

    Result<> rt_tasks(std::uint64_t rt_rq, std::vector<QueuedTask>& out) {
        for (std::uint64_t prio = 0; prio < layouts_.rt_queue_count; ++prio) {
            ListWalk walk;
            walk.start = rt_rq + layouts_.rt_queue + 16 * prio;
            walk.head = true;
            walk.link_offset = layouts_.task_rt_list;
            walk.max_entries = 1'000'000;
            auto tasks = walk_list(kernel_, walk);
            if (!tasks) {
                return wrap(tasks.error(), fmt::format("walking RT queue {}", prio));
            }
            for (const std::uint64_t task : *tasks) {
                QueuedTask entry;
                entry.task = task;
                entry.policy = "RT";
                if (auto ok = add(entry, out); !ok) {
                    return ok;
                }
            }
        }
        return {};
    }

    Result<> dl_tasks(std::uint64_t dl_rq, std::vector<QueuedTask>& out) {
        auto root = kernel_.read_u64(dl_rq + layouts_.dl_root);
        if (!root) {
            return wrap(root.error(), "reading the deadline tree");
        }
        auto nodes =
            rb_tree_nodes(kernel_, *root, fmt::format("the deadline tree at {:#x}", dl_rq));
        if (!nodes) {
            return std::unexpected(nodes.error());
        }
        for (const std::uint64_t node : *nodes) {
            QueuedTask entry;
            entry.task = node - layouts_.task_dl_node;
            entry.policy = "DL";
            if (auto ok = add(entry, out); !ok) {
                return ok;
            }
        }
        return {};
    }

private:
    Result<> add(QueuedTask task, std::vector<QueuedTask>& out) {
        auto prio = kernel_.read_u32(task.task + layouts_.task_prio);
        if (!prio) {
            return wrap(prio.error(), fmt::format("reading task {:#x} on a run queue", task.task));
        }
        task.priority = static_cast<int>(*prio);
        out.push_back(task);
        return {};
    }

    Kernel& kernel_;
    const SchedLayouts& layouts_;
};

} // namespace

Result<std::vector<CpuRunQueue>> read_run_queues(Kernel& kernel) {
    SchedLayouts layouts;
    if (auto ok = layouts.load(kernel); !ok) {
        return std::unexpected(ok.error());
    }
    auto percpu = PerCpu::load(kernel);
    if (!percpu) {
        return std::unexpected(percpu.error());
    }
    RunQueueReader reader(kernel, layouts);
    std::vector<CpuRunQueue> out;
    for (const int cpu : percpu->online()) {
        auto rq = percpu->address("runqueues", cpu);
        if (!rq) {
            return std::unexpected(rq.error());
        }
        CpuRunQueue queue;
        queue.cpu = cpu;
        queue.rq = *rq;
        auto curr = kernel.read_u64(*rq + layouts.rq_curr);
        if (!curr) {
            return wrap(curr.error(), fmt::format("reading CPU {}'s rq->curr", cpu));
        }
        queue.current = *curr;
        if (auto ok = reader.dl_tasks(*rq + layouts.rq_dl, queue.queued); !ok) {
            return std::unexpected(ok.error());
        }
        if (auto ok = reader.rt_tasks(*rq + layouts.rq_rt, queue.queued); !ok) {
            return std::unexpected(ok.error());
        }
        if (auto ok = reader.cfs_tasks(*rq + layouts.rq_cfs, 0, cpu, queue.queued); !ok) {
            return std::unexpected(ok.error());
        }
        out.push_back(std::move(queue));
    }
    return out;
}

} // namespace kdive::kernel
