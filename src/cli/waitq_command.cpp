// `waitq ADDR|EXPR` (crash's): who sleeps on a wait queue. Each wait_queue_entry names its
// wake function; its private pointer is the sleeping task for the task-waking ones, which is
// checked against the task list rather than trusted.
#include "cli/kernel_commands.hpp"
#include "cli/kernel_output.hpp"
#include "kernel/list_walker.hpp"
#include "support/guest_text.hpp"

#include <nlohmann/json.hpp>
#include <unordered_map>

namespace kdive::cli {

Result<std::string> KernelCommands::waitq(std::vector<std::string>& args, bool json) {
    if (args.empty()) {
        return fail_as(ErrorKind::invalid_input,
                       "usage: waitq ADDRESS|EXPRESSION (a wait_queue_head)");
    }
    std::string expression;
    for (const auto& word : args) {
        expression += (expression.empty() ? "" : " ") + word;
    }
    auto head = list_start(expression);
    if (!head) {
        return std::unexpected(head.error());
    }
    kernel::Kernel& view = **kernel();
    auto head_layout = view.layout("wait_queue_head");
    auto entry_layout = view.layout("wait_queue_entry");
    if (!head_layout || !entry_layout) {
        return std::unexpected(!head_layout ? head_layout.error() : entry_layout.error());
    }
    auto list_at = (*head_layout)->offset("head");
    auto link = (*entry_layout)->offset("entry");
    auto private_at = (*entry_layout)->offset("private");
    auto func_at = (*entry_layout)->offset("func");
    for (const auto* offset : {&list_at, &link, &private_at, &func_at}) {
        if (!*offset) {
            return std::unexpected(offset->error());
        }
    }
    kernel::ListWalk walk;
    walk.start = *head + *list_at;
    walk.head = true;
    walk.link_offset = *link;
    walk.max_entries = 1'000'000;
    auto entries = kernel::walk_list(view, walk);
    if (!entries) {
        return wrap(entries.error(), fmt::format("the wait queue at {:#x}", *head));
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
    for (const std::uint64_t entry : *entries) {
        auto owner = view.read_u64(entry + *private_at);
        auto func = view.read_u64(entry + *func_at);
        if (!owner || !func) {
            return wrap(!owner ? owner.error() : func.error(),
                        fmt::format("reading wait_queue_entry {:#x}", entry));
        }
        std::string function = function_name(*func);
        if (function.empty()) {
            function = fmt::format("{:#x}", *func);
        }
        auto task = tasks_by_address.find(*owner);
        nlohmann::json row = {{"entry", fmt::format("{:#x}", entry)},
                              {"private", fmt::format("{:#x}", *owner)},
                              {"func", function}};
        if (task != tasks_by_address.end()) {
            row["pid"] = task->second->pid;
            row["comm"] = guest_string(task->second->comm);
            text += fmt::format("PID: {:<7} TASK: {:x}  COMMAND: \"{}\"  ({})\n", task->second->pid,
                                *owner, terminal_text(task->second->comm, TerminalText::field),
                                function);
        } else {
            text += fmt::format("ENTRY: {:x}  PRIVATE: {:x}  ({})\n", entry, *owner, function);
        }
        rows.push_back(std::move(row));
    }
    if (entries->empty()) {
        text = fmt::format("wait queue {:#x} is empty\n", *head);
    }
    return json ? dump_json(rows) : text;
}

} // namespace kdive::cli
