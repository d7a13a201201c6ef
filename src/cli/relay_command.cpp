// `kdive relay ENDPOINT`: joins stdin/stdout to a gdbstub socket, so GDB (which cannot open
// Unix sockets) reaches a private stub with `target remote | kdive relay unix:PATH`; with a
// vmlinux it also answers `monitor kdive COMMAND`.
#include "cli/commands.hpp"
#include "cli/gdb_relay.hpp"
#include "cli/relay_monitor.hpp"
#include "cli/report.hpp"
#include "rsp/socket_transport.hpp"

#include <unistd.h>

namespace kdive::cli {

namespace {

Result<> relay(const std::string& where, const std::string& vmlinux) {
    auto endpoint = rsp::Endpoint::parse(where);
    if (!endpoint) {
        return std::unexpected(endpoint.error());
    }
    auto transport = rsp::SocketTransport::connect(*endpoint, std::chrono::seconds(5));
    if (!transport) {
        return std::unexpected(transport.error());
    }
    RelayMonitor monitor(vmlinux);
    GdbRelay relay(
        STDIN_FILENO, STDOUT_FILENO, **transport,
        [&monitor](std::string_view command, rsp::RspConnection& stub,
                   const std::string& debugger_thread) {
            return monitor.answer(command, stub, debugger_thread);
        },
        [&monitor](std::uint64_t address, std::size_t length, rsp::RspConnection& stub,
                   const std::string& debugger_thread) {
            return monitor.read_kernel_memory(address, length, stub, debugger_thread);
        });
    return relay.run();
}

} // namespace

void register_relay_command(CLI::App& app, ExitStatus& status) {
    auto where = std::make_shared<std::string>();
    auto vmlinux = std::make_shared<std::string>();
    auto* cmd = app.add_subcommand("relay", "Join stdin/stdout to a gdbstub (for GDB's `target "
                                            "remote | kdive relay unix:PATH`)");
    cmd->add_option("endpoint", *where, "unix:PATH or HOST:PORT")->required();
    cmd->add_option("--vmlinux", *vmlinux,
                    "answer `monitor kdive COMMAND` from GDB with kdive's commands on this kernel");
    cmd->callback([where, vmlinux, &status] {
        if (auto r = relay(*where, *vmlinux); !r) {
            report_error(status, r.error());
        }
    });
}

} // namespace kdive::cli
