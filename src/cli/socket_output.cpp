// Paths of UNIX sockets are guest bytes: json_text for JSON, terminal_text for text. Numbers
// stay numbers in JSON (state 10 with state_name "LISTEN"), addresses are written out.
#include "cli/socket_output.hpp"

#include "kernel/socket_names.hpp"
#include "support/guest_text.hpp"
#include "support/hex_text.hpp"

#include <fmt/core.h>
#include <nlohmann/json.hpp>

namespace kdive::cli {

namespace {

using Json = nlohmann::json;

constexpr std::uint32_t so_acceptcon = 1U << 16; // __SO_ACCEPTCON, /proc/net/unix's Flags

// SS_* numbers
constexpr unsigned ss_unconnected = 1, ss_connecting = 2, ss_connected = 3, ss_disconnecting = 4;

bool is_inet(const kernel::SocketInfo& sock) {
    return sock.family == kernel::af_inet || sock.family == kernel::af_inet6;
}

// TCP's state names serve UNIX sockets too (they use the same numbers); other families' states
// mean other things.
std::string_view state_name(const kernel::SocketInfo& sock) {
    return is_inet(sock) || sock.family == kernel::af_unix ? kernel::tcp_state_name(sock.state)
                                                           : "";
}

std::string family_and_type(unsigned family, unsigned type) {
    const std::string_view f = kernel::socket_family_name(family);
    const std::string_view t = kernel::socket_type_name(type);
    return fmt::format("{}:{}", f.empty() ? std::to_string(family) : std::string(f),
                       t.empty() ? std::to_string(type) : std::string(t));
}

// unix_seq_show's St column.
unsigned unix_st(const kernel::SocketInfo& sock) {
    const bool established = sock.state == kernel::tcp_established;
    if (sock.socket != 0) {
        return established ? ss_connected : ss_unconnected;
    }
    return established ? ss_connecting : ss_disconnecting;
}

Json sock_json(const kernel::SocketInfo& sock) {
    Json out{{"sock", hex(sock.sock)},
             {"family", sock.family},
             {"family_name", kernel::socket_family_name(sock.family)},
             {"type", sock.type},
             {"type_name", kernel::socket_type_name(sock.type)},
             {"protocol", sock.protocol},
             {"state", sock.state},
             {"state_name", state_name(sock)},
             {"inode", sock.inode},
             {"refcount", sock.refcount},
             {"uid", sock.uid}};
    if (is_inet(sock)) {
        out["local_address"] = kernel::inet_address_text(sock.family, sock.local_address);
        out["local_port"] = sock.local_port;
        out["remote_address"] = kernel::inet_address_text(sock.family, sock.remote_address);
        out["remote_port"] = sock.remote_port;
        out["mini"] = sock.mini;
    }
    if (sock.family == kernel::af_unix) {
        out["path"] = sock.path ? Json(json_text(*sock.path)) : Json();
        out["peer"] = sock.peer == 0 ? Json() : Json(hex(sock.peer));
    }
    return out;
}

// What a row shows of a sock's addresses: "local -> remote", a UNIX path or peer, or "-".
std::string addresses_text(const kernel::SocketInfo& sock) {
    if (is_inet(sock)) {
        return kernel::inet_endpoint_text(sock.family, sock.local_address, sock.local_port) +
               " -> " +
               kernel::inet_endpoint_text(sock.family, sock.remote_address, sock.remote_port);
    }
    std::string out;
    if (sock.path) {
        out = terminal_text(*sock.path, TerminalText::field);
    }
    if (sock.peer != 0) {
        out += fmt::format("{}peer {:x}", out.empty() ? "" : " ", sock.peer);
    }
    return out.empty() ? "-" : out;
}

} // namespace

std::string task_sockets_json(const std::vector<kernel::TaskSocket>& sockets) {
    Json out = Json::array();
    for (const auto& entry : sockets) {
        Json row = entry.sock ? sock_json(*entry.sock)
                              : Json{{"sock", nullptr}, {"type", entry.socket_type}};
        row["fd"] = entry.fd;
        row["file"] = hex(entry.file);
        row["socket"] = hex(entry.socket);
        row["socket_state"] = entry.socket_state;
        row["inode"] = entry.inode_number;
        out.push_back(std::move(row));
    }
    return dump_json(out);
}

std::string task_sockets_text(const kernel::TaskInfo& task,
                              const std::vector<kernel::TaskSocket>& sockets) {
    std::string out = fmt::format("PID: {:<7} TASK: {:x}  COMMAND: \"{}\"\n", task.pid, task.task,
                                  terminal_text(task.comm, TerminalText::field));
    out += fmt::format("{:>4} {:<16} {:<16} {:<16} {:<12} {:>8}  {}\n", "FD", "SOCKET", "SOCK",
                       "FAMILY:TYPE", "STATE", "INODE", "ADDRESSES");
    for (const auto& entry : sockets) {
        if (!entry.sock) {
            out +=
                fmt::format("{:>4} {:<16x} {:<16} {:<16} {:<12} {:>8}  -\n", entry.fd, entry.socket,
                            "-", family_and_type(0, entry.socket_type), "-", entry.inode_number);
            continue;
        }
        const kernel::SocketInfo& sock = *entry.sock;
        const std::string_view state = state_name(sock);
        out += fmt::format("{:>4} {:<16x} {:<16x} {:<16} {:<12} {:>8}  {}\n", entry.fd,
                           entry.socket, sock.sock, family_and_type(sock.family, sock.type),
                           state.empty() ? std::to_string(sock.state) : std::string(state),
                           entry.inode_number, addresses_text(sock));
    }
    return out;
}

std::string tcp_sockets_json(const std::vector<kernel::SocketInfo>& sockets) {
    Json out = Json::array();
    for (std::size_t slot = 0; slot < sockets.size(); ++slot) {
        Json row = sock_json(sockets[slot]);
        row["sl"] = slot;
        out.push_back(std::move(row));
    }
    return dump_json(out);
}

std::string tcp_sockets_text(const std::vector<kernel::SocketInfo>& sockets) {
    std::string out =
        fmt::format("{:>4} {:<16} {:<6} {:<2} {:<12} {:<24} {:<24} {:>6} {:>8}\n", "SL", "SOCK",
                    "FAMILY", "ST", "STATE", "LOCAL", "REMOTE", "UID", "INODE");
    for (std::size_t slot = 0; slot < sockets.size(); ++slot) {
        const auto& sock = sockets[slot];
        out += fmt::format(
            "{:>4} {:<16x} {:<6} {:02X} {:<12} {:<24} {:<24} {:>6} {:>8}\n", slot, sock.sock,
            kernel::socket_family_name(sock.family), sock.state, kernel::tcp_state_name(sock.state),
            kernel::inet_endpoint_text(sock.family, sock.local_address, sock.local_port),
            kernel::inet_endpoint_text(sock.family, sock.remote_address, sock.remote_port),
            sock.uid, sock.inode);
    }
    return out;
}

std::string unix_sockets_json(const std::vector<kernel::SocketInfo>& sockets) {
    Json out = Json::array();
    for (const auto& sock : sockets) {
        Json row = sock_json(sock);
        row["flags"] = sock.state == kernel::tcp_listen ? so_acceptcon : 0U;
        row["st"] = unix_st(sock);
        out.push_back(std::move(row));
    }
    return dump_json(out);
}

std::string unix_sockets_text(const std::vector<kernel::SocketInfo>& sockets) {
    std::string out = fmt::format("{:<17} {:<8} {:<8} {:<8} {:<4} {:<2} {:>8} {}\n", "Num",
                                  "RefCount", "Protocol", "Flags", "Type", "St", "Inode", "Path");
    for (const auto& sock : sockets) {
        out += fmt::format("{:016x}: {:08X} {:08X} {:08X} {:04X} {:02X} {:>8} {}\n", sock.sock,
                           sock.refcount, sock.protocol,
                           sock.state == kernel::tcp_listen ? so_acceptcon : 0U, sock.type,
                           unix_st(sock), sock.inode,
                           sock.path ? terminal_text(*sock.path, TerminalText::field) : "");
    }
    return out;
}

} // namespace kdive::cli
