// sock_alloc_file() makes every socket's file with socket_file_ops and the struct socket as
// private_data; the sock is socket->sk.
#include "kernel/task_sockets.hpp"

#include "kernel/open_files.hpp"

namespace kdive::kernel {

Result<std::vector<TaskSocket>> read_task_sockets(Kernel& kernel, std::uint64_t task) {
    auto files = read_open_files(kernel, task);
    auto layout = kernel.layout("socket");
    auto reader = SockReader::load(kernel);
    if (!files || !layout || !reader) {
        return std::unexpected(!files ? files.error() : !layout ? layout.error() : reader.error());
    }
    auto state = (*layout)->require("state");
    auto type = (*layout)->require("type");
    auto sk = (*layout)->require("sk");
    if (!state || !type || !sk) {
        return std::unexpected(!state ? state.error() : !type ? type.error() : sk.error());
    }
    std::vector<TaskSocket> out;
    for (const OpenFile& file : *files) {
        if (file.operations != "socket_file_ops") {
            continue;
        }
        TaskSocket entry;
        entry.fd = file.fd;
        entry.file = file.file;
        entry.inode_number = file.inode_number;
        auto socket = kernel.read_member(file.file, "file", "private_data");
        if (!socket) {
            return std::unexpected(socket.error());
        }
        entry.socket = *socket;
        auto record = kernel.read(*socket, (*layout)->size());
        if (!record) {
            return wrap(record.error(),
                        fmt::format("reading fd {}'s struct socket at {:#x}", file.fd, *socket));
        }
        entry.socket_state = static_cast<unsigned>(record->get(*state));
        entry.socket_type = static_cast<unsigned>(record->get(*type));
        if (const std::uint64_t sock = record->get(*sk); sock != 0) {
            auto info = reader->read(sock);
            if (!info) {
                return wrap(info.error(), fmt::format("fd {}'s socket {:#x}", file.fd, *socket));
            }
            entry.sock = std::move(*info);
        }
        out.push_back(std::move(entry));
    }
    return out;
}

} // namespace kdive::kernel
