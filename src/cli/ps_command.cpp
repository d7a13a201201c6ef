// `ps` with crash's options: -G thread group leaders, -p PID its parents, -c PID its children,
// -t [PID...] times, -a PID... arguments and environment from the task's memory.
#include "cli/kernel_commands.hpp"
#include "cli/kernel_output.hpp"
#include "cli/task_output.hpp"
#include "kernel/task_details.hpp"
#include "kernel/task_names.hpp"
#include "support/text.hpp"

#include <algorithm>
#include <unordered_map>

namespace kdive::cli {

namespace {

// The tasks the PIDs name, in the order given; every PID must name one.
Result<std::vector<kernel::TaskInfo>> tasks_of(const std::vector<kernel::TaskInfo>& all,
                                               const std::vector<std::string>& pids,
                                               std::string_view option) {
    std::vector<kernel::TaskInfo> out;
    for (const auto& word : pids) {
        auto pid = parse_unsigned(word);
        if (!pid) {
            return fail_as(ErrorKind::invalid_input, "ps {}: {} is not a pid", option, word);
        }
        auto found = std::find_if(all.begin(), all.end(), [&](const auto& task) {
            return static_cast<std::uint64_t>(task.pid) == *pid;
        });
        if (found == all.end()) {
            return fail_as(ErrorKind::invalid_input, "ps {}: no task has pid {}", option, *pid);
        }
        out.push_back(*found);
    }
    return out;
}

// From init_task down to `task` by real_parent (bounded: the links are guest data).
std::vector<kernel::TaskInfo> parents_of(const std::vector<kernel::TaskInfo>& all,
                                         const kernel::TaskInfo& task) {
    std::unordered_map<std::uint64_t, const kernel::TaskInfo*> by_address;
    for (const auto& each : all) {
        by_address[each.task] = &each;
    }
    std::vector<kernel::TaskInfo> chain{task};
    while (chain.size() <= all.size()) {
        const auto& last = chain.back();
        auto parent = by_address.find(last.real_parent);
        if (parent == by_address.end() || parent->second->task == last.task) {
            break;
        }
        chain.push_back(*parent->second);
    }
    std::reverse(chain.begin(), chain.end());
    return chain;
}

} // namespace

Result<std::string> KernelCommands::ps(std::vector<std::string>& args, bool json) {
    const bool leaders = take_flag(args, "-G");
    const bool times = take_flag(args, "-t");
    const bool arguments = take_flag(args, "-a");
    const bool parents = take_flag(args, "-p");
    const bool children = take_flag(args, "-c");
    if (static_cast<int>(times) + arguments + parents + children > 1) {
        return fail_as(ErrorKind::invalid_input, "ps: -t, -a, -p and -c go one at a time");
    }
    if ((parents || children) && args.size() != 1) {
        return fail_as(ErrorKind::invalid_input, "usage: ps {} PID", parents ? "-p" : "-c");
    }
    if (arguments && args.empty()) {
        return fail_as(ErrorKind::invalid_input, "usage: ps -a PID...");
    }
    if (!times && !arguments && !parents && !children && !args.empty()) {
        return fail_as(ErrorKind::invalid_input, "ps: unknown option {} (known: -G -t -a -p -c)",
                       args.front());
    }
    auto all = every_task();
    if (!all) {
        return std::unexpected(all.error());
    }
    // Names as /proc shows them; without the layouts for them, the comm stands.
    if (auto namer = kernel::TaskNames::create(**kernel()); namer) {
        auto names = namer->names(*all);
        for (std::size_t i = 0; i < all->size(); ++i) {
            (*all)[i].name = std::move(names[i]);
        }
    }
    if (leaders) {
        std::erase_if(*all, [](const auto& task) { return task.pid != task.tgid; });
    }
    auto chosen = tasks_of(*all, args, times ? "-t" : arguments ? "-a" : parents ? "-p" : "-c");
    if (!chosen) {
        return std::unexpected(chosen.error());
    }
    if (parents) {
        auto chain = parents_of(*all, chosen->front());
        return json ? ps_json(chain) : task_chain_text(chain);
    }
    if (children) {
        std::vector<kernel::TaskInfo> found;
        for (const auto& task : *all) {
            if (task.real_parent == chosen->front().task && task.pid == task.tgid &&
                task.task != chosen->front().task) {
                found.push_back(task);
            }
        }
        return json ? ps_json(found) : ps_text(found);
    }
    if (times) {
        std::vector<TaskTimesRow> rows;
        for (const auto& task : args.empty() ? *all : *chosen) {
            auto read = kernel::read_task_times(**kernel(), task.task);
            if (!read) {
                return std::unexpected(read.error());
            }
            rows.push_back({task, *read});
        }
        return json ? task_times_json(rows) : task_times_text(rows);
    }
    if (arguments) {
        std::vector<TaskArgumentsRow> rows;
        for (const auto& task : *chosen) {
            auto read = kernel::read_task_arguments(**kernel(), task.task);
            if (!read) {
                return wrap(read.error(), fmt::format("ps -a {}", task.pid));
            }
            rows.push_back({task, std::move(*read)});
        }
        return json ? task_arguments_json(rows) : task_arguments_text(rows);
    }
    return json ? ps_json(*all) : ps_text(*all);
}

} // namespace kdive::cli
