// `kdive boot`: placeholder until the command lands.
#include "cli/commands.hpp"
#include "cli/report.hpp"

namespace kdive::cli {

void register_boot_command(CLI::App& app, ExitStatus& status) {
    auto* cmd = app.add_subcommand("boot", "not available yet");
    cmd->callback([&status] { report_error(status, Error{"boot: not available yet"}); });
}

} // namespace kdive::cli
