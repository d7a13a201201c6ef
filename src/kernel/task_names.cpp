// Three rounds of batched reads for all tasks at once: each task's flags and kthread pointer;
// the kthreads' data and full_name; the workers' desc and current_work with the full names.
#include "kernel/task_names.hpp"

#include "kernel/record.hpp"

#include <algorithm>
#include <cstring>

namespace kdive::kernel {

namespace {

// include/linux/sched.h; stable since long before 5.10.
constexpr std::uint64_t pf_wq_worker = 0x00000020;
constexpr std::uint64_t pf_kthread = 0x00200000;
// proc_task_name's buffer: char tcomm[64].
constexpr std::size_t proc_name_size = 64;

std::string c_string(std::span<const std::byte> bytes, std::size_t most) {
    std::string out;
    for (std::size_t i = 0; i < bytes.size() && i < most; ++i) {
        const auto c = std::to_integer<char>(bytes[i]);
        if (c == '\0') {
            break;
        }
        out += c;
    }
    return out;
}

std::uint64_t u64_at(const std::vector<std::byte>& bytes, std::uint64_t offset) {
    return Record(bytes).u64(offset);
}

} // namespace

Result<TaskNames> TaskNames::create(Kernel& kernel) {
    auto task = kernel.layout("task_struct");
    if (!task) {
        return std::unexpected(task.error());
    }
    TaskNames out(kernel);
    auto flags = (*task)->require("flags");
    if (!flags) {
        return std::unexpected(flags.error());
    }
    out.flags_ = *flags;
    // 5.17 moved the kthread pointer from set_child_tid to worker_private (commit e32cf5dfbe22,
    // "kthread: Generalize pf_io_worker so it can point to struct kthread").
    auto pointer = (*task)->field("worker_private");
    if (!pointer) {
        pointer = (*task)->field("set_child_tid");
    }
    if (!pointer) {
        return fail_as(ErrorKind::unsupported,
                       "task_struct has neither worker_private nor set_child_tid");
    }
    out.kthread_pointer_ = *pointer;
    if (const StructLayout* kthread = kernel.find_layout("kthread")) {
        out.kthread_data_ = kthread->field("data");
        out.kthread_full_name_ = kthread->field("full_name");
    }
    if (const StructLayout* worker = kernel.find_layout("worker")) {
        out.worker_desc_ = worker->field("desc");
        out.worker_current_work_ = worker->field("current_work");
    }
    return out;
}

std::vector<std::optional<std::vector<std::byte>>>
TaskNames::read_each(std::span<const eval::ReadRange> ranges) {
    std::vector<std::optional<std::vector<std::byte>>> out(ranges.size());
    if (ranges.empty()) {
        return out;
    }
    if (auto batch = kernel_->memory().read_many(ranges)) {
        for (std::size_t i = 0; i < ranges.size(); ++i) {
            out[i] = std::move((*batch)[i]);
        }
        return out;
    } else if (batch.error().is(ErrorKind::transport)) {
        return out;
    }
    for (std::size_t i = 0; i < ranges.size(); ++i) {
        if (auto bytes = kernel_->memory().read(ranges[i].address, ranges[i].length)) {
            out[i] = std::move(*bytes);
        }
    }
    return out;
}

std::vector<std::string> TaskNames::names(std::span<const TaskInfo> tasks) {
    std::vector<std::string> names;
    names.reserve(tasks.size());
    for (const auto& task : tasks) {
        names.push_back(task.comm);
    }
    // Round 1: flags and the kthread pointer of every task.
    std::vector<eval::ReadRange> ranges;
    for (const auto& task : tasks) {
        ranges.push_back({task.task + flags_.offset, flags_.size});
        ranges.push_back({task.task + kthread_pointer_.offset, 8});
    }
    auto first = read_each(ranges);
    struct Kthread {
        std::size_t task = 0;
        std::uint64_t address = 0;
        bool worker = false;
    };
    std::vector<Kthread> kthreads;
    for (std::size_t i = 0; i < tasks.size(); ++i) {
        if (!first[2 * i] || !first[2 * i + 1]) {
            continue;
        }
        const std::uint64_t flags = Record(*first[2 * i]).uint(0, flags_.size);
        const std::uint64_t kthread = u64_at(*first[2 * i + 1], 0);
        if ((flags & pf_kthread) != 0 && kthread != 0) {
            kthreads.push_back({i, kthread, (flags & pf_wq_worker) != 0});
        }
    }
    // Round 2: the kthreads' data (the worker) and full_name pointers.
    const bool workers = kthread_data_ && worker_desc_ && worker_current_work_;
    if (kthreads.empty() || (!kthread_full_name_ && !workers)) {
        return names;
    }
    ranges.clear();
    for (const auto& kthread : kthreads) {
        ranges.push_back({kthread.address + (kthread_data_ ? kthread_data_->offset : 0), 8});
        ranges.push_back(
            {kthread.address + (kthread_full_name_ ? kthread_full_name_->offset : 0), 8});
    }
    auto second = read_each(ranges);
    // Round 3: each worker's desc and current_work, each full name's text.
    struct Pending {
        std::size_t task = 0;
        bool worker = false;
    };
    std::vector<Pending> pending;
    ranges.clear();
    for (std::size_t k = 0; k < kthreads.size(); ++k) {
        if (kthreads[k].worker && workers && second[2 * k]) {
            const std::uint64_t worker = u64_at(*second[2 * k], 0);
            if (worker == 0) {
                continue;
            }
            const std::uint64_t begin =
                std::min(worker_desc_->offset, worker_current_work_->offset);
            const std::uint64_t end = std::max(worker_desc_->offset + worker_desc_->size,
                                               worker_current_work_->offset + 8);
            ranges.push_back({worker + begin, end - begin});
            pending.push_back({kthreads[k].task, true});
        } else if (!kthreads[k].worker && kthread_full_name_ && second[2 * k + 1]) {
            const std::uint64_t text = u64_at(*second[2 * k + 1], 0);
            if (text != 0) {
                ranges.push_back({text, proc_name_size});
                pending.push_back({kthreads[k].task, false});
            }
        }
    }
    auto third = read_each(ranges);
    for (std::size_t p = 0; p < pending.size(); ++p) {
        if (!third[p]) {
            continue;
        }
        std::string& name = names[pending[p].task];
        if (!pending[p].worker) {
            name = c_string(*third[p], proc_name_size - 1);
            continue;
        }
        const std::uint64_t begin = std::min(worker_desc_->offset, worker_current_work_->offset);
        const std::vector<std::byte>& bytes = *third[p];
        const std::span<const std::byte> whole(bytes);
        const std::string desc = c_string(
            whole.subspan(std::min<std::size_t>(worker_desc_->offset - begin, whole.size())),
            worker_desc_->size);
        if (desc.empty()) {
            continue;
        }
        const bool working = u64_at(bytes, worker_current_work_->offset - begin) != 0;
        name += (working ? "+" : "-") + desc;
        name.resize(std::min(name.size(), proc_name_size - 1));
    }
    return names;
}

} // namespace kdive::kernel
