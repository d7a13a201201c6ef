// `kdive stop SESSION`: ends a VM started with `kdive boot --detach`.
#include "cli/commands.hpp"
#include "cli/report.hpp"
#include "lab/qemu_launcher.hpp"
#include "lab/session.hpp"

#include <fmt/core.h>

namespace kdive::cli {

void register_stop_command(CLI::App& app, ExitStatus& status) {
    auto dir = std::make_shared<std::string>();
    auto* cmd = app.add_subcommand("stop", "Stop the VM of a session folder");
    cmd->add_option("session", *dir, "session folder printed by `kdive boot`")->required();
    cmd->callback([dir, &status] {
        auto session = lab::Session::load(*dir);
        if (!session) {
            report_error(status, session.error());
            return;
        }
        if (auto r = lab::stop_session(*session); !r) {
            report_error(status, r.error());
            return;
        }
        fmt::print(stderr, "kdive: stopped QEMU pid {}\n", session->pid);
    });
}

} // namespace kdive::cli
