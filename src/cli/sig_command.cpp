// `sig PID` (crash's): a task's pending, blocked, ignored and caught signals and its handlers.
#include "cli/kernel_commands.hpp"
#include "cli/task_output.hpp"
#include "kernel/signal_state.hpp"

namespace kdive::cli {

Result<std::string> KernelCommands::sig(std::vector<std::string>& args, bool json) {
    if (args.size() != 1) {
        return fail_as(ErrorKind::invalid_input, "usage: sig PID");
    }
    auto task = task_of_pid_word("sig", args.front());
    if (!task) {
        return std::unexpected(task.error());
    }
    auto state = kernel::read_signal_state(**kernel(), *task);
    if (!state) {
        return std::unexpected(state.error());
    }
    if (json) {
        return signal_state_json(*state);
    }
    auto info = describe_task(*task);
    if (!info) {
        return std::unexpected(info.error());
    }
    return signal_state_text(*info, *state);
}

} // namespace kdive::cli
