// Tasks named by the pid table are read up front in a few batched round trips; any other task
// on the list costs one round trip: exact reads of the clusters of used fields (two on x86-64:
// the state and CPU at the start of task_struct, the ids, links and comm about 2 KiB on) go out
// together. The list walk decides what is listed and in which order; parents' tgids come from tasks
// already read, and single-threaded processes are recognised without touching their signal_struct.
#include "kernel/task_walker.hpp"

#include "kernel/pid_table.hpp"
#include "kernel/task_state.hpp"
#include "kernel/visited_nodes.hpp"

#include <algorithm>
#include <unordered_map>

namespace kdive::kernel {

namespace {

// A list or tree walk longer than this is a corrupt or moving list, not a real system.
constexpr std::size_t max_tasks = 4'000'000;

} // namespace

Result<TaskWalker> TaskWalker::create(Kernel& kernel) {
    auto layout = kernel.layout("task_struct");
    if (!layout) {
        return std::unexpected(layout.error());
    }
    const StructLayout& task = **layout;
    TaskWalker out(kernel);
    const auto need = [&](std::string_view path, Field& into) -> Result<> {
        auto found = task.require(path);
        if (!found) {
            return std::unexpected(found.error());
        }
        into = *found;
        return {};
    };
    for (auto [path, field] : {std::pair{"pid", &out.pid_},
                               {"tgid", &out.tgid_},
                               {"exit_state", &out.exit_state_},
                               {"comm", &out.comm_},
                               {"real_parent", &out.real_parent_},
                               {"tasks", &out.tasks_},
                               {"signal", &out.signal_}}) {
        if (auto ok = need(path, *field); !ok) {
            return std::unexpected(ok.error());
        }
    }
    // task_struct.state became __state in 5.14 (commit 2f064a59a11f, "sched: Change
    // task_struct::state").
    if (auto state = task.field("__state")) {
        out.state_ = *state;
    } else if (auto ok = need("state", out.state_); !ok) {
        return std::unexpected(ok.error());
    }
    // The task's CPU moved from task_struct.cpu into thread_info.cpu in 5.16 (commit
    // bcf9033e5449, "sched: move CPU field back into thread_info if THREAD_INFO_IN_TASK").
    if (auto cpu = task.field("cpu")) {
        out.cpu_ = *cpu;
    } else if (auto ok = need("thread_info.cpu", out.cpu_); !ok) {
        return std::unexpected(ok.error());
    }
    if (auto info = task.field("thread_info")) {
        out.thread_info_offset_ = info->offset;
    }
    // 6.7 linked threads through signal->thread_head/task->thread_node and removed
    // thread_group (commit 8e1f385104ac, "kill task_struct->thread_group").
    const StructLayout* signal = kernel.find_layout("signal_struct");
    auto thread_head = signal != nullptr ? signal->field("thread_head") : std::nullopt;
    if (auto node = task.field("thread_node"); node && thread_head) {
        out.thread_list_ = *node;
        out.thread_head_ = true;
        out.signal_thread_head_ = thread_head->offset;
    } else if (auto ok = need("thread_group", out.thread_list_); !ok) {
        return std::unexpected(ok.error());
    }

    std::vector<std::pair<std::uint64_t, std::uint64_t>> spans;
    for (const Field* field :
         {&out.pid_, &out.tgid_, &out.state_, &out.exit_state_, &out.comm_, &out.cpu_,
          &out.real_parent_, &out.tasks_, &out.signal_, &out.thread_list_}) {
        std::uint64_t size = std::max<std::uint64_t>(field->size, 1);
        if (field == &out.tasks_ || field == &out.thread_list_) {
            size = 16; // both list pointers
        }
        spans.emplace_back(field->offset, field->offset + size);
    }
    std::sort(spans.begin(), spans.end());
    // The state and CPU sit near the start of task_struct, the rest about 2 KiB further: two
    // exact reads cost fewer round trips than one read of everything between.
    constexpr std::uint64_t max_gap = 256;
    for (const auto& span : spans) {
        if (!out.clusters_.empty() && span.first <= out.clusters_.back().second + max_gap) {
            out.clusters_.back().second = std::max(out.clusters_.back().second, span.second);
        } else {
            out.clusters_.push_back(span);
        }
    }
    out.window_start_ = out.clusters_.front().first;
    out.window_end_ = out.clusters_.back().second;
    return out;
}

std::uint64_t TaskWalker::field_u64(const Record& record, const Field& field) const {
    Field shifted = field;
    shifted.offset -= window_start_;
    return record.get(shifted);
}

std::vector<eval::ReadRange> TaskWalker::task_ranges(std::uint64_t task) const {
    std::vector<eval::ReadRange> ranges;
    ranges.reserve(clusters_.size());
    for (const auto& [begin, end] : clusters_) {
        ranges.push_back({task + begin, end - begin});
    }
    return ranges;
}

Record TaskWalker::assemble(std::uint64_t task,
                            std::span<const std::vector<std::byte>> parts) const {
    std::vector<std::byte> window(window_end_ - window_start_);
    for (std::size_t i = 0; i < clusters_.size(); ++i) {
        std::copy(parts[i].begin(), parts[i].end(),
                  window.begin() + static_cast<long>(clusters_[i].first - window_start_));
    }
    return Record(std::move(window), task + window_start_);
}

Result<Record> TaskWalker::read_task(std::uint64_t task) {
    if (auto found = prefetched_.find(task); found != prefetched_.end()) {
        return found->second;
    }
    // Both clusters in one round trip where the target allows it.
    auto parts = kernel_->memory().read_many(task_ranges(task));
    if (!parts) {
        return wrap(parts.error(), fmt::format("reading task_struct at {:#x}", task));
    }
    return assemble(task, *parts);
}

void TaskWalker::prefetch() {
    prefetched_.clear();
    // Best effort: without the table (or with one unreadable task) the walk reads as it goes.
    auto tasks = tasks_from_pid_table(*kernel_);
    if (!tasks) {
        return;
    }
    std::vector<eval::ReadRange> ranges;
    ranges.reserve(tasks->size() * clusters_.size());
    for (std::uint64_t task : *tasks) {
        auto mine = task_ranges(task);
        ranges.insert(ranges.end(), mine.begin(), mine.end());
    }
    auto parts = kernel_->memory().read_many(ranges);
    if (!parts) {
        return;
    }
    for (std::size_t i = 0; i < tasks->size(); ++i) {
        prefetched_.emplace((*tasks)[i],
                            assemble((*tasks)[i], std::span(*parts).subspan(i * clusters_.size(),
                                                                            clusters_.size())));
    }
}

TaskInfo TaskWalker::decode(const Record& record) const {
    TaskInfo info;
    info.task = record.address() - window_start_;
    info.pid = static_cast<int>(field_u64(record, pid_));
    info.tgid = static_cast<int>(field_u64(record, tgid_));
    info.cpu = static_cast<int>(field_u64(record, cpu_));
    info.state = task_state_letter(field_u64(record, state_), field_u64(record, exit_state_));
    info.comm = record.c_string(comm_.offset - window_start_, comm_.size);
    info.real_parent = field_u64(record, real_parent_);
    return info;
}

Result<std::vector<std::uint64_t>> TaskWalker::other_threads(std::uint64_t leader,
                                                             const Record& record) {
    std::vector<std::uint64_t> threads;
    const std::uint64_t own_node = leader + thread_list_.offset;
    const std::uint64_t next = record.u64(thread_list_.offset - window_start_);
    const std::uint64_t prev = record.u64(thread_list_.offset - window_start_ + 8);
    std::uint64_t head = 0;
    if (thread_head_) {
        head = field_u64(record, signal_) + signal_thread_head_;
        if (next == head && prev == head) {
            return threads; // the only thread: no need to read signal_struct
        }
    } else if (next == own_node) {
        return threads;
    }
    std::uint64_t node = next;
    VisitedNodes visited(fmt::format("the thread list of task {:#x}", leader));
    while (node != own_node) {
        if (auto ok = visited.visit(node); !ok) {
            return std::unexpected(ok.error());
        }
        if (threads.size() > max_tasks) {
            return fail_as(ErrorKind::corrupt, "the thread list of task {:#x} does not end",
                           leader);
        }
        if (thread_head_ && node == head) {
            auto after = kernel_->read_u64(head);
            if (!after) {
                return wrap(after.error(), "reading signal->thread_head");
            }
            node = *after;
            continue;
        }
        const std::uint64_t thread = node - thread_list_.offset;
        threads.push_back(thread);
        auto link = kernel_->read_u64(node);
        if (!link) {
            return wrap(link.error(), fmt::format("reading the thread list at {:#x}", node));
        }
        node = *link;
    }
    return threads;
}

Result<std::vector<TaskInfo>> TaskWalker::all_tasks() {
    auto init = kernel_->address_of("init_task");
    if (!init) {
        return std::unexpected(init.error());
    }
    prefetch();
    std::vector<TaskInfo> tasks;
    std::unordered_map<std::uint64_t, int> tgid_of;
    std::uint64_t leader = *init;
    VisitedNodes visited("init_task.tasks");
    do {
        if (auto ok = visited.visit(leader); !ok) {
            return std::unexpected(ok.error());
        }
        if (tasks.size() > max_tasks) {
            return fail_as(ErrorKind::corrupt, "init_task.tasks does not lead back to init_task");
        }
        auto record = read_task(leader);
        if (!record) {
            return std::unexpected(record.error());
        }
        tasks.push_back(decode(*record));
        tgid_of[leader] = tasks.back().tgid;
        auto threads = other_threads(leader, *record);
        if (!threads) {
            return std::unexpected(threads.error());
        }
        for (std::uint64_t thread : *threads) {
            auto thread_record = read_task(thread);
            if (!thread_record) {
                return std::unexpected(thread_record.error());
            }
            tasks.push_back(decode(*thread_record));
            tgid_of[thread] = tasks.back().tgid;
        }
        leader = record->u64(tasks_.offset - window_start_) - tasks_.offset;
    } while (leader != *init);

    prefetched_.clear();
    for (TaskInfo& info : tasks) {
        if (auto parent = tgid_of.find(info.real_parent); parent != tgid_of.end()) {
            info.ppid = parent->second;
        } else if (info.real_parent != 0) {
            // A parent off the list (a thread of an exiting group): read it.
            auto parent_tgid = kernel_->read(info.real_parent + tgid_.offset, tgid_.size);
            if (parent_tgid) {
                info.ppid = static_cast<int>(parent_tgid->uint(0, tgid_.size));
            }
        }
    }
    return tasks;
}

Result<TaskInfo> TaskWalker::describe(std::uint64_t task) {
    auto record = read_task(task);
    if (!record) {
        return std::unexpected(record.error());
    }
    TaskInfo info = decode(*record);
    if (info.real_parent != 0 && info.pid != 0) {
        auto parent_tgid = kernel_->read(info.real_parent + tgid_.offset, tgid_.size);
        if (parent_tgid) {
            info.ppid = static_cast<int>(parent_tgid->uint(0, tgid_.size));
        }
    }
    return info;
}

} // namespace kdive::kernel
