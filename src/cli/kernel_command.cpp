// `kdive kernel`: placeholder until the command lands.
#include "cli/commands.hpp"
#include "cli/report.hpp"

namespace kdive::cli {

void register_kernel_command(CLI::App& app, ExitStatus& status) {
    auto* cmd = app.add_subcommand("kernel", "not available yet");
    cmd->callback([&status] { report_error(status, Error{"kernel: not available yet"}); });
}

} // namespace kdive::cli
