// `kdive relay ENDPOINT`: joins stdin/stdout to a gdbstub socket, so GDB (which cannot open
// Unix sockets) reaches a private stub with `target remote | kdive relay unix:PATH`.
#include "cli/commands.hpp"
#include "cli/report.hpp"
#include "rsp/socket_transport.hpp"

#include <array>
#include <cerrno>
#include <poll.h>
#include <unistd.h>

namespace kdive::cli {

namespace {

Result<> relay(const std::string& where) {
    auto endpoint = rsp::Endpoint::parse(where);
    if (!endpoint)
        return std::unexpected(endpoint.error());
    auto transport = rsp::SocketTransport::connect(*endpoint, std::chrono::seconds(5));
    if (!transport)
        return std::unexpected(transport.error());
    std::array<char, 65536> buffer{};
    while (true) {
        pollfd in{STDIN_FILENO, POLLIN, 0};
        int ready = poll(&in, 1, 2);
        if (ready < 0 && errno != EINTR)
            return fail("relay: poll: {}", std::strerror(errno));
        if (ready > 0) {
            ssize_t n = read(STDIN_FILENO, buffer.data(), buffer.size());
            if (n <= 0)
                return {}; // the debugger went away
            if (auto w = (*transport)->write_all(std::string_view(buffer.data(), n)); !w)
                return w;
        }
        auto got = (*transport)->read_some(buffer, std::chrono::milliseconds(2));
        if (!got)
            return std::unexpected(got.error());
        for (size_t done = 0; done < *got;) {
            ssize_t n = write(STDOUT_FILENO, buffer.data() + done, *got - done);
            if (n <= 0)
                return {};
            done += static_cast<size_t>(n);
        }
    }
}

} // namespace

void register_relay_command(CLI::App& app, ExitStatus& status) {
    auto where = std::make_shared<std::string>();
    auto* cmd = app.add_subcommand("relay", "Join stdin/stdout to a gdbstub (for GDB's `target "
                                            "remote | kdive relay unix:PATH`)");
    cmd->add_option("endpoint", *where, "unix:PATH or HOST:PORT")->required();
    cmd->callback([where, &status] {
        if (auto r = relay(*where); !r)
            report_error(status, r.error());
    });
}

} // namespace kdive::cli
