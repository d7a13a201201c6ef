// The sockets among a task's open files, as crash's `net -s` shows them: each descriptor's
// struct socket and the sock behind it.
#pragma once

#include "kernel/kernel.hpp"
#include "kernel/socket_reader.hpp"
#include "support/error.hpp"

#include <cstdint>
#include <optional>
#include <vector>

namespace kdive::kernel {

struct TaskSocket {
    unsigned fd = 0;
    std::uint64_t file = 0;
    std::uint64_t socket = 0;       // the file's private_data
    unsigned socket_state = 0;      // struct socket's SS_* state
    unsigned socket_type = 0;       // SOCK_* as the socket has it
    std::uint64_t inode_number = 0; // of the file: socket:[INO]
    std::optional<SocketInfo> sock; // nullopt when the socket has no sock (being released)
};

// In fd order; a file is a socket when its f_op is socket_file_ops.
Result<std::vector<TaskSocket>> read_task_sockets(Kernel& kernel, std::uint64_t task);

} // namespace kdive::kernel
