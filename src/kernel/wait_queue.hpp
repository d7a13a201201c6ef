// The entries of a wait queue (struct wait_queue_head): each entry's private pointer (the
// sleeping task for the task-waking functions) and wake function.
#pragma once

#include "kernel/kernel.hpp"
#include "support/error.hpp"

#include <cstdint>
#include <vector>

namespace kdive::kernel {

struct WaitQueueEntry {
    std::uint64_t entry = 0; // struct wait_queue_entry
    std::uint64_t owner = 0; // its private pointer
    std::uint64_t function = 0;
};

// In queue order; cycles and unreadable links end with an error naming the address.
Result<std::vector<WaitQueueEntry>> read_wait_queue(Kernel& kernel, std::uint64_t head);

} // namespace kdive::kernel
