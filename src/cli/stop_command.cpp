// `kdive stop`: placeholder until the command lands.
#include "cli/commands.hpp"
#include "cli/report.hpp"

namespace kdive::cli {

void register_stop_command(CLI::App& app, ExitStatus& status) {
    auto* cmd = app.add_subcommand("stop", "not available yet");
    cmd->callback([&status] { report_error(status, Error{"stop: not available yet"}); });
}

} // namespace kdive::cli
