// `files PID` (crash's): the open files of a task, as ls -l /proc/PID/fd shows them.
#include "cli/kernel_commands.hpp"
#include "cli/memory_output.hpp"
#include "kernel/open_files.hpp"
#include "support/text.hpp"

namespace kdive::cli {

Result<std::string> KernelCommands::files(std::vector<std::string>& args, bool json) {
    if (args.size() != 1) {
        return fail_as(ErrorKind::invalid_input, "usage: files PID");
    }
    auto pid = parse_unsigned(args.front());
    if (!pid || *pid > 0x7fffffff) {
        return fail_as(ErrorKind::invalid_input, "files: {} is not a pid", args.front());
    }
    auto task = task_by_pid(static_cast<int>(*pid));
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
    auto walker = tasks();
    if (!walker) {
        return std::unexpected(walker.error());
    }
    auto info = (*walker)->describe(*task);
    if (!info) {
        return std::unexpected(info.error());
    }
    return open_files_text(*info, *open);
}

} // namespace kdive::cli
