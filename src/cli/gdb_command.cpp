// `kdive gdb SESSION`: real GDB on a VM started with `kdive boot`.
#include "cli/commands.hpp"
#include "cli/gdb_handoff.hpp"
#include "cli/report.hpp"
#include "lab/qmp_client.hpp"

namespace kdive::cli {

void register_gdb_command(CLI::App& app, ExitStatus& status) {
    struct Args {
        std::string session;
        std::string gdb{default_gdb};
    };
    auto args = std::make_shared<Args>();
    auto* cmd = app.add_subcommand("gdb", "Open GDB on a session: vmlinux loaded, connected; "
                                          "a VM paused at reset runs to start_kernel first");
    cmd->add_option("session", args->session, "session folder from `kdive boot`")->required();
    cmd->add_option("--gdb", args->gdb,
                    "debugger to run (pwndbg, ...); gdb is gdb-multiarch for a guest of "
                    "another architecture")
        ->capture_default_str();
    cmd->callback([args, &status] {
        auto session = lab::Session::load(args->session);
        if (!session) {
            report_error(status, session.error());
            return;
        }
        if (!lab::is_qemu_alive(session->pid)) {
            report_error(status, Error{fmt::format("session {}: QEMU (pid {}) is not running",
                                                   args->session, session->pid)});
            return;
        }
        GdbHandoff handoff{args->gdb, false};
        // A VM still in QEMU's "prelaunch" state sits at the reset vector.
        if (auto qmp = lab::QmpClient::connect(session->qmp, std::chrono::seconds(3)); qmp) {
            auto state = qmp->execute("query-status");
            handoff.run_to_start_kernel = state && state->value("status", "") == "prelaunch";
        }
        auto code = run_gdb(*session, handoff);
        if (!code) {
            report_error(status, code.error());
            return;
        }
        status.code = *code;
    });
}

} // namespace kdive::cli
