// One struct sock as the socket tables and a task's files show it: family, type, state, the
// inode of its socket file, and its inet addresses or its bound UNIX name.
#pragma once

#include "kernel/kernel.hpp"
#include "support/error.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <string>

namespace kdive::kernel {

struct SocketInfo {
    std::uint64_t sock = 0;   // struct sock, or the sock_common heading a mini socket
    std::uint64_t socket = 0; // sk_socket: 0 for mini sockets and orphans
    std::uint64_t net = 0;    // the struct net it belongs to (0 without network namespaces)
    unsigned family = 0;      // AF_*
    unsigned type = 0;        // SOCK_*; 0 for a mini socket
    unsigned protocol = 0;    // IPPROTO_* (sk_protocol)
    // sk_state (TCP_* numbers, which UNIX sockets use too); a time-wait socket's substate and
    // a request socket's SYN_RECV, as /proc/net/tcp shows them.
    unsigned state = 0;
    // A time-wait or request socket: only its sock_common is there, no struct sock.
    bool mini = false;
    std::uint32_t refcount = 0;
    std::uint32_t uid = 0;   // sk_uid in the initial user namespace
    std::uint64_t inode = 0; // the socket inode's number (socket:[INO]), 0 without one
    // AF_INET/AF_INET6: addresses as they lie in memory, network order (AF_INET uses the first
    // 4 bytes); ports in host order.
    std::array<std::uint8_t, 16> local_address{}, remote_address{};
    unsigned local_port = 0, remote_port = 0;
    // AF_UNIX: the bound name as /proc/net/unix prints it (nullopt when unbound) and the peer.
    std::optional<std::string> path;
    std::uint64_t peer = 0;
};

// Reads socks with the layouts looked up once.
class SockReader {
public:
    static Result<SockReader> load(Kernel& kernel);
    // A sock reached through a socket or a hash chain; errors name the address.
    Result<SocketInfo> read(std::uint64_t sock);

private:
    explicit SockReader(Kernel& kernel) : kernel_(kernel) {}
    Result<> read_common(std::uint64_t sock, SocketInfo& out);
    Result<> read_full(SocketInfo& out);
    Result<> read_inet(const Record& common, SocketInfo& out);
    Result<> read_unix(SocketInfo& out);
    Result<std::uint64_t> socket_inode(std::uint64_t socket);

    Kernel& kernel_;
    const StructLayout* common_ = nullptr;
    const StructLayout* sock_ = nullptr;
    const StructLayout* unix_ = nullptr; // nullptr when AF_UNIX is not in the debug info
};

} // namespace kdive::kernel
