// `kdive cpio`: placeholder until the command lands.
#include "cli/commands.hpp"
#include "cli/report.hpp"

namespace kdive::cli {

void register_cpio_command(CLI::App& app, ExitStatus& status) {
    auto* cmd = app.add_subcommand("cpio", "not available yet");
    cmd->callback([&status] { report_error(status, Error{"cpio: not available yet"}); });
}

} // namespace kdive::cli
