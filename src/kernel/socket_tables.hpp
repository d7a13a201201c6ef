// The socket tables of the initial network namespace as /proc/net/tcp, tcp6 and unix list
// them: TCP's listening and established hashes, and the UNIX socket hash.
#pragma once

#include "kernel/kernel.hpp"
#include "kernel/socket_reader.hpp"
#include "support/error.hpp"

#include <vector>

namespace kdive::kernel {

// IPv4 and IPv6 TCP sockets of init_net, in /proc/net/tcp's order: the listening hash, then
// the established hash (time-wait and request sockets included, as mini sockets).
Result<std::vector<SocketInfo>> read_tcp_sockets(Kernel& kernel);

// UNIX sockets of init_net in /proc/net/unix's order (hash bucket by bucket).
Result<std::vector<SocketInfo>> read_unix_sockets(Kernel& kernel);

} // namespace kdive::kernel
