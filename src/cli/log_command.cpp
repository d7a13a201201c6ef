// `log [-T] [-m]` (crash's; dmesg with its options): -T dates each record from the guest's wall
// clock less its uptime (as dmesg -T, approximate across suspend), -m shows levels.
#include "cli/kernel_commands.hpp"
#include "cli/kernel_output.hpp"
#include "kernel/printk_reader.hpp"
#include "kernel/uptime.hpp"
#include "kernel/wall_clock.hpp"

namespace kdive::cli {

Result<std::string> KernelCommands::log(std::vector<std::string>& args, bool json) {
    const bool dates = take_flag(args, "-T");
    const bool levels = take_flag(args, "-m");
    if (!args.empty()) {
        return fail_as(ErrorKind::invalid_input, "log: unknown option {} (known: -T -m)",
                       args.front());
    }
    kernel::Kernel& view = **kernel();
    auto records = kernel::read_kernel_log(view);
    if (!records) {
        return std::unexpected(records.error());
    }
    std::optional<double> boot_wall;
    if (dates) {
        auto now = kernel::read_wall_seconds(view);
        if (!now) {
            return std::unexpected(now.error());
        }
        auto up = kernel::read_uptime(view);
        if (!up) {
            return std::unexpected(up.error());
        }
        boot_wall = static_cast<double>(*now) - up->seconds;
    }
    return json ? log_json(*records, boot_wall) : log_text(*records, levels, boot_wall);
}

} // namespace kdive::cli
