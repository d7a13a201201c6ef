// Text and JSON forms of ps's options (-t times, -a arguments, -p parents), apart from reading
// them, so each can be tested with hostile guest strings.
#pragma once

#include "kernel/signal_state.hpp"
#include "kernel/task_details.hpp"
#include "kernel/task_walker.hpp"

#include <string>
#include <vector>

namespace kdive::cli {

struct TaskTimesRow {
    kernel::TaskInfo task;
    kernel::TaskTimes times;
};
// [{pid, comm, task, start_time, user_time, system_time}] in seconds.
std::string task_times_json(const std::vector<TaskTimesRow>& rows);
std::string task_times_text(const std::vector<TaskTimesRow>& rows);

struct TaskArgumentsRow {
    kernel::TaskInfo task;
    kernel::TaskArguments arguments;
};
// [{pid, comm, task, arguments: [...], environment: [...]}].
std::string task_arguments_json(const std::vector<TaskArgumentsRow>& rows);
std::string task_arguments_text(const std::vector<TaskArgumentsRow>& rows);

// `sig PID`: {pending, shared_pending, blocked, ignored, caught} as /proc/PID/status's 16-digit
// masks, the same as signal names under "*_signals", and the handlers.
std::string signal_state_json(const kernel::SignalState& state);
std::string signal_state_text(const kernel::TaskInfo& task, const kernel::SignalState& state);

// crash's ps -p: each ancestor indented one more step, the task last.
std::string task_chain_text(const std::vector<kernel::TaskInfo>& chain);

} // namespace kdive::cli
