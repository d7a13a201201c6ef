// `waitq ADDR|EXPR` (crash's): who sleeps on a wait queue. An entry's private pointer is the
// sleeping task for the task-waking functions, which is checked against the task list rather
// than trusted.
#include "cli/kernel_commands.hpp"
#include "cli/kernel_output.hpp"
#include "kernel/wait_queue.hpp"
#include "support/guest_text.hpp"
#include "support/text.hpp"

#include <nlohmann/json.hpp>
#include <unordered_map>

namespace kdive::cli {

Result<std::string> KernelCommands::waitq(std::vector<std::string>& args, bool json) {
    if (args.empty()) {
        return fail_as(ErrorKind::invalid_input,
                       "usage: waitq ADDRESS|EXPRESSION (a wait_queue_head)");
    }
    auto head = address_argument("waitq", join_words(args));
    if (!head) {
        return std::unexpected(head.error());
    }
    auto entries = kernel::read_wait_queue(**kernel(), *head);
    if (!entries) {
        return std::unexpected(entries.error());
    }
    auto all = every_task();
    if (!all) {
        return std::unexpected(all.error());
    }
    std::unordered_map<std::uint64_t, const kernel::TaskInfo*> tasks_by_address;
    for (const auto& task : *all) {
        tasks_by_address[task.task] = &task;
    }
    nlohmann::json rows = nlohmann::json::array();
    std::string text;
    for (const auto& [entry, owner, func] : *entries) {
        std::string function = function_name(func);
        if (function.empty()) {
            function = fmt::format("{:#x}", func);
        }
        auto task = tasks_by_address.find(owner);
        nlohmann::json row = {{"entry", fmt::format("{:#x}", entry)},
                              {"private", fmt::format("{:#x}", owner)},
                              {"func", function}};
        if (task != tasks_by_address.end()) {
            row["pid"] = task->second->pid;
            row["comm"] = guest_string(task->second->comm);
            text += fmt::format("PID: {:<7} TASK: {:x}  COMMAND: \"{}\"  ({})\n", task->second->pid,
                                owner, terminal_text(task->second->comm, TerminalText::field),
                                function);
        } else {
            text += fmt::format("ENTRY: {:x}  PRIVATE: {:x}  ({})\n", entry, owner, function);
        }
        rows.push_back(std::move(row));
    }
    if (entries->empty()) {
        text = fmt::format("wait queue {:#x} is empty\n", *head);
    }
    return json ? dump_json(rows) : text;
}

} // namespace kdive::cli
