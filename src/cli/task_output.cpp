// Guest strings (comms, arguments, environment) go through json_text or terminal_text.
#include "cli/task_output.hpp"

#include "support/guest_text.hpp"

#include <fmt/core.h>
#include <nlohmann/json.hpp>

namespace kdive::cli {

namespace {

using Json = nlohmann::json;

std::string field(std::string_view bytes) {
    return terminal_text(bytes, TerminalText::field);
}

double seconds(std::uint64_t ns) {
    return static_cast<double>(ns) / 1e9;
}

std::string header(const kernel::TaskInfo& task) {
    return fmt::format("PID: {:<7} TASK: {:x}  CPU: {}  COMMAND: \"{}\"", task.pid, task.task,
                       task.cpu, field(task.comm));
}

Json strings(const std::vector<std::string>& values) {
    Json out = Json::array();
    for (const auto& value : values) {
        out.push_back(json_text(value));
    }
    return out;
}

std::string mask_text(std::uint64_t mask) {
    return fmt::format("{:016x}", mask);
}

std::vector<std::string> signal_names(std::uint64_t mask) {
    std::vector<std::string> out;
    for (int number = 1; number <= 64; ++number) {
        if ((mask >> (number - 1) & 1) != 0) {
            out.push_back(kernel::signal_name(number));
        }
    }
    return out;
}

} // namespace

std::string signal_state_json(const kernel::SignalState& state) {
    Json out;
    for (auto [name, mask] : {std::pair{"pending", state.pending},
                              {"shared_pending", state.shared_pending},
                              {"blocked", state.blocked},
                              {"ignored", state.ignored},
                              {"caught", state.caught}}) {
        out[name] = mask_text(mask);
        out[std::string(name) + "_signals"] = signal_names(mask);
    }
    Json handlers = Json::array();
    for (const auto& handler : state.handlers) {
        handlers.push_back({{"signal", handler.signal},
                            {"name", kernel::signal_name(handler.signal)},
                            {"handler", fmt::format("{:#x}", handler.handler)},
                            {"flags", fmt::format("{:#x}", handler.flags)},
                            {"mask", mask_text(handler.mask)}});
    }
    out["handlers"] = handlers;
    return dump_json(out);
}

std::string signal_state_text(const kernel::TaskInfo& task, const kernel::SignalState& state) {
    std::string out = header(task) + "\n";
    for (auto [name, mask] : {std::pair{"PENDING", state.pending},
                              {"SHARED PENDING", state.shared_pending},
                              {"BLOCKED", state.blocked},
                              {"IGNORED", state.ignored},
                              {"CAUGHT", state.caught}}) {
        std::string names;
        for (const auto& signal : signal_names(mask)) {
            names += " " + signal;
        }
        out += fmt::format("{:>14}: {}{}\n", name, mask_text(mask), names);
    }
    if (!state.handlers.empty()) {
        out += fmt::format("  {:<10} {:<18} {:<10} {}\n", "SIGNAL", "HANDLER", "FLAGS", "MASK");
        for (const auto& handler : state.handlers) {
            out += fmt::format("  {:<10} {:<18} {:<10} {}\n", kernel::signal_name(handler.signal),
                               handler.handler == 1 ? std::string("SIG_IGN")
                                                    : fmt::format("{:#x}", handler.handler),
                               fmt::format("{:#x}", handler.flags), mask_text(handler.mask));
        }
    }
    return out;
}

std::string task_times_json(const std::vector<TaskTimesRow>& rows) {
    Json out = Json::array();
    for (const auto& row : rows) {
        out.push_back({{"pid", row.task.pid},
                       {"comm", json_text(row.task.comm)},
                       {"task", fmt::format("{:#x}", row.task.task)},
                       {"start_time", seconds(row.times.start_ns)},
                       {"user_time", seconds(row.times.user_ns)},
                       {"system_time", seconds(row.times.system_ns)}});
    }
    return dump_json(out);
}

std::string task_times_text(const std::vector<TaskTimesRow>& rows) {
    std::string out;
    for (const auto& row : rows) {
        out += header(row.task) + "\n";
        out += fmt::format("  START TIME: {:.6f} s after boot\n   USER TIME: {:.6f} s\n"
                           " SYSTEM TIME: {:.6f} s\n",
                           seconds(row.times.start_ns), seconds(row.times.user_ns),
                           seconds(row.times.system_ns));
    }
    return out;
}

std::string task_arguments_json(const std::vector<TaskArgumentsRow>& rows) {
    Json out = Json::array();
    for (const auto& row : rows) {
        out.push_back({{"pid", row.task.pid},
                       {"comm", json_text(row.task.comm)},
                       {"task", fmt::format("{:#x}", row.task.task)},
                       {"arguments", strings(row.arguments.arguments)},
                       {"environment", strings(row.arguments.environment)}});
    }
    return dump_json(out);
}

std::string task_arguments_text(const std::vector<TaskArgumentsRow>& rows) {
    std::string out;
    for (const auto& row : rows) {
        out += header(row.task) + "\nARG:";
        for (const auto& argument : row.arguments.arguments) {
            out += " " + field(argument);
        }
        out += "\nENV:";
        for (const auto& variable : row.arguments.environment) {
            out += "      " + field(variable) + "\n";
        }
        if (row.arguments.environment.empty()) {
            out += "\n";
        }
    }
    return out;
}

std::string task_chain_text(const std::vector<kernel::TaskInfo>& chain) {
    std::string out;
    for (std::size_t depth = 0; depth < chain.size(); ++depth) {
        out += std::string(depth, ' ') + header(chain[depth]) + "\n";
    }
    return out;
}

} // namespace kdive::cli
