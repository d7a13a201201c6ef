// `vm PID` (crash's): a task's mappings as /proc/PID/maps lists them; `vm --rss PID` its
// resident set by counter, as /proc/PID/status counts VmRSS.
#include "cli/kernel_commands.hpp"
#include "cli/memory_output.hpp"
#include "kernel/address_space.hpp"

namespace kdive::cli {

Result<std::string> KernelCommands::vm(std::vector<std::string>& args, bool json) {
    const bool rss_only = take_flag(args, "--rss");
    if (args.size() != 1) {
        return fail_as(ErrorKind::invalid_input, "usage: vm [--rss] PID");
    }
    auto task = task_of_pid_word("vm", args.front());
    if (!task) {
        return std::unexpected(task.error());
    }
    auto space = kernel::read_address_space(**kernel(), *task);
    if (!space) {
        return std::unexpected(space.error());
    }
    if (json) {
        return rss_only ? rss_json(*space) : address_space_json(*space);
    }
    auto info = describe_task(*task);
    if (!info) {
        return std::unexpected(info.error());
    }
    return address_space_text(*info, *space);
}

} // namespace kdive::cli
