// `kdive rootfs`: placeholder until the command lands.
#include "cli/commands.hpp"
#include "cli/report.hpp"

namespace kdive::cli {

void register_rootfs_command(CLI::App& app, ExitStatus& status) {
    auto* cmd = app.add_subcommand("rootfs", "not available yet");
    cmd->callback([&status] { report_error(status, Error{"rootfs: not available yet"}); });
}

} // namespace kdive::cli
