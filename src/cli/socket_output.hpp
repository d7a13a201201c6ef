// Text and JSON forms of net's socket views (-s PID, --tcp, --unix), apart from reading them,
// so each can be tested with hostile guest strings (UNIX socket paths).
#pragma once

#include "kernel/socket_reader.hpp"
#include "kernel/task_sockets.hpp"
#include "kernel/task_walker.hpp"

#include <string>
#include <vector>

namespace kdive::cli {

// `net -s PID`: [{fd, file, socket, socket_state, inode, sock, family, ...}] and crash-like rows.
std::string task_sockets_json(const std::vector<kernel::TaskSocket>& sockets);
std::string task_sockets_text(const kernel::TaskInfo& task,
                              const std::vector<kernel::TaskSocket>& sockets);

// `net --tcp`: rows as /proc/net/tcp and tcp6 hold them, addresses written out.
std::string tcp_sockets_json(const std::vector<kernel::SocketInfo>& sockets);
std::string tcp_sockets_text(const std::vector<kernel::SocketInfo>& sockets);

// `net --unix`: /proc/net/unix's columns, Num being the sock's real address.
std::string unix_sockets_json(const std::vector<kernel::SocketInfo>& sockets);
std::string unix_sockets_text(const std::vector<kernel::SocketInfo>& sockets);

} // namespace kdive::cli
