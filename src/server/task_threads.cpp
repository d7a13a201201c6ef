// The task list is read once per stop; a debugger asks for it, each thread's registers and its
// extra information many times between two resumes.
#include "server/task_threads.hpp"

#include "kernel/task_walker.hpp"
#include "kernel/vcpu_tasks.hpp"
#include "support/guest_text.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <unordered_set>

namespace kdive::server {

std::vector<ServedThread> TaskThreads::vcpu_threads() const {
    std::vector<ServedThread> out;
    for (int vcpu = 0; vcpu < target_.vcpu_count(); ++vcpu) {
        ServedThread thread;
        thread.id = static_cast<std::uint64_t>(vcpu) + 1;
        thread.cpu = vcpu;
        thread.comm = fmt::format("CPU#{}", vcpu);
        thread.vcpu = vcpu;
        out.push_back(std::move(thread));
    }
    return out;
}

Result<std::vector<ServedThread>> TaskThreads::read_tasks(kernel::Kernel& kernel) {
    auto walker = kernel::TaskWalker::create(kernel);
    if (!walker) {
        return std::unexpected(walker.error());
    }
    auto tasks = walker->all_tasks();
    if (!tasks) {
        return std::unexpected(tasks.error());
    }
    auto running = kernel::VcpuTasks::read(kernel, target_);
    if (!running) {
        return std::unexpected(running.error());
    }
    std::unordered_set<std::uint64_t> listed;
    for (const auto& task : *tasks) {
        listed.insert(task.task);
    }
    if (auto idle = kernel::idle_tasks(kernel)) {
        for (std::uint64_t task : *idle) {
            if (listed.insert(task).second) {
                if (auto described = walker->describe(task)) {
                    tasks->push_back(*described);
                }
            }
        }
    }
    // A running task whose vCPU names it is on no list yet (early boot): shown all the same.
    for (const auto& slot : running->slots()) {
        if (slot.current != 0 && listed.insert(slot.current).second) {
            if (auto described = walker->describe(slot.current)) {
                tasks->push_back(*described);
            }
        }
    }
    std::vector<ServedThread> out;
    out.reserve(tasks->size());
    std::unordered_set<std::uint64_t> ids;
    for (const auto& task : *tasks) {
        ServedThread thread;
        thread.task = task.task;
        thread.pid = task.pid;
        thread.cpu = task.cpu;
        thread.state = task.state;
        thread.comm = task.comm;
        thread.vcpu = running->vcpu_of(task.task, std::nullopt);
        if (task.pid > 0) {
            thread.id = static_cast<std::uint64_t>(task.pid);
        } else {
            thread.id = idle_thread_base + static_cast<std::uint64_t>(std::max(task.cpu, 0));
        }
        if (!ids.insert(thread.id).second) {
            continue; // a damaged list naming a pid twice: the first one stands
        }
        out.push_back(std::move(thread));
    }
    return out;
}

const std::vector<ServedThread>& TaskThreads::threads() {
    if (generation_ == target_.guest_generation()) {
        return threads_;
    }
    why_not_tasks_.clear();
    auto view = kernel_();
    Result<std::vector<ServedThread>> tasks =
        view ? read_tasks(**view) : std::unexpected(view.error());
    if (tasks && !tasks->empty()) {
        threads_ = std::move(*tasks);
    } else {
        why_not_tasks_ = tasks ? "the task list is empty" : tasks.error().message;
        threads_ = vcpu_threads();
    }
    generation_ = target_.guest_generation();
    return threads_;
}

const ServedThread* TaskThreads::find(std::uint64_t id) {
    const auto& all = threads();
    const auto found =
        std::find_if(all.begin(), all.end(), [id](const auto& t) { return t.id == id; });
    return found == all.end() ? nullptr : &*found;
}

const ServedThread* TaskThreads::on_vcpu(int vcpu) {
    const auto& all = threads();
    const auto found =
        std::find_if(all.begin(), all.end(), [vcpu](const auto& t) { return t.vcpu == vcpu; });
    return found == all.end() ? nullptr : &*found;
}

std::string thread_description(const ServedThread& thread) {
    if (thread.task == 0) {
        return fmt::format("{} [vCPU {}]", thread.comm, thread.vcpu.value_or(thread.cpu));
    }
    return fmt::format("{} [pid {}, CPU {}, state {}]", terminal_text(thread.comm), thread.pid,
                       thread.cpu, terminal_text(std::string(1, thread.state)));
}

} // namespace kdive::server
