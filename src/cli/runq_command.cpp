// `runq` (crash's): per online CPU the running task, then the queued ones (deadline, RT by
// priority, CFS in tree order with task groups opened).
#include "cli/kernel_commands.hpp"
#include "cli/kernel_output.hpp"
#include "kernel/run_queue.hpp"
#include "support/guest_text.hpp"

#include <nlohmann/json.hpp>

namespace kdive::cli {

Result<std::string> KernelCommands::runq(bool json) {
    auto queues = kernel::read_run_queues(**kernel());
    if (!queues) {
        return std::unexpected(queues.error());
    }
    auto walker = tasks();
    if (!walker) {
        return std::unexpected(walker.error());
    }
    const auto describe = [&](std::uint64_t task) -> Result<kernel::TaskInfo> {
        auto info = (*walker)->describe(task);
        if (!info) {
            return wrap(info.error(), fmt::format("the task {:#x} on a run queue", task));
        }
        return info;
    };
    nlohmann::json out = nlohmann::json::array();
    std::string text;
    for (const auto& queue : *queues) {
        auto current = describe(queue.current);
        if (!current) {
            return std::unexpected(current.error());
        }
        nlohmann::json queued = nlohmann::json::array();
        text += fmt::format(
            "CPU {} RUNQUEUE: {:x}\n  CURRENT: PID: {:<6} TASK: {:x}  COMMAND: \"{}\"\n", queue.cpu,
            queue.rq, current->pid, current->task,
            terminal_text(current->comm, TerminalText::field));
        for (const auto& entry : queue.queued) {
            auto info = describe(entry.task);
            if (!info) {
                return std::unexpected(info.error());
            }
            queued.push_back({{"pid", info->pid},
                              {"comm", guest_string(info->comm)},
                              {"task", fmt::format("{:#x}", entry.task)},
                              {"policy", entry.policy},
                              {"priority", entry.priority},
                              {"vruntime", entry.policy == "CFS" ? nlohmann::json(entry.vruntime)
                                                                 : nlohmann::json()},
                              {"group_depth", entry.depth}});
            text += fmt::format(
                "  {:<3} [{:>3}] {}PID: {:<6} TASK: {:x}  COMMAND: \"{}\"\n", entry.policy,
                entry.priority, std::string(2 * static_cast<std::size_t>(entry.depth), ' '),
                info->pid, entry.task, terminal_text(info->comm, TerminalText::field));
        }
        if (queue.queued.empty()) {
            text += "  [no tasks queued]\n";
        }
        out.push_back({{"cpu", queue.cpu},
                       {"rq", fmt::format("{:#x}", queue.rq)},
                       {"current",
                        {{"pid", current->pid},
                         {"comm", guest_string(current->comm)},
                         {"task", fmt::format("{:#x}", current->task)}}},
                       {"queued", queued}});
    }
    return json ? dump_json(out) : text;
}

} // namespace kdive::cli
