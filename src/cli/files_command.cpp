// `files PID` (crash's): the open files of a task, as ls -l /proc/PID/fd shows them.
#include "cli/kernel_commands.hpp"
#include "cli/memory_output.hpp"
#include "kernel/open_files.hpp"

namespace kdive::cli {

Result<std::string> KernelCommands::files(std::vector<std::string>& args, bool json) {
    if (args.size() != 1) {
        return fail_as(ErrorKind::invalid_input, "usage: files PID");
    }
    auto task = task_of_pid_word("files", args.front());
    if (!task) {
        return std::unexpected(task.error());
    }
    auto open = kernel::read_open_files(**kernel(), *task);
    if (!open) {
        return std::unexpected(open.error());
    }
    if (json) {
        return open_files_json(*open);
    }
    auto info = describe_task(*task);
    if (!info) {
        return std::unexpected(info.error());
    }
    return open_files_text(*info, *open);
}

} // namespace kdive::cli
