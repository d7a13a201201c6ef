// `kdive attach`: placeholder until the command lands.
#include "cli/commands.hpp"
#include "cli/report.hpp"

namespace kdive::cli {

void register_attach_command(CLI::App& app, ExitStatus& status) {
    auto* cmd = app.add_subcommand("attach", "not available yet");
    cmd->callback([&status] { report_error(status, Error{"attach: not available yet"}); });
}

} // namespace kdive::cli
