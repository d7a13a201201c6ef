// Walking a linked list in guest memory by its next pointers, as crash's `list` does: from a
// list_head (the head is not an entry) or from a first entry, each node's link at an offset
// inside its structure. Cycles short of the start, unreadable links and lists past a bound end
// with an error naming the address.
#pragma once

#include "kernel/kernel.hpp"
#include "support/error.hpp"

#include <cstdint>
#include <vector>

namespace kdive::kernel {

struct ListWalk {
    std::uint64_t start = 0;       // a list_head with `head`, else the first entry's address
    bool head = false;             // start is the list's head, not an entry
    std::uint64_t link_offset = 0; // where the next pointer (list_head.next) sits in an entry
    std::size_t max_entries = 1'000'000;
    // At max_entries: stop there (the user asked for that many), or fail (a bound on a list
    // read from the guest, which may not end).
    bool stop_at_max = false;
};

// The entries' addresses (node address minus link_offset), in list order. A NULL next pointer
// ends a list that is not circular.
Result<std::vector<std::uint64_t>> walk_list(Kernel& kernel, const ListWalk& walk);

} // namespace kdive::kernel
