// The entries of a maple tree (lib/maple_tree.c) in index order, each with the range it covers:
// the VMAs of an mm on 6.1+, and `tree -t maple`. Nodes and pivots are read through the debug
// info's maple_range_64 and maple_arange_64; a node seen twice, a depth past what a 64-bit index
// needs, or an unreadable node ends the walk with an error naming the address.
#pragma once

#include "kernel/kernel.hpp"
#include "support/error.hpp"

#include <cstdint>
#include <vector>

namespace kdive::kernel {

struct MapleEntry {
    std::uint64_t first = 0, last = 0; // the indices the entry covers
    std::uint64_t value = 0;
};

// `tree` is the address of a struct maple_tree.
Result<std::vector<MapleEntry>> maple_tree_entries(Kernel& kernel, std::uint64_t tree);

} // namespace kdive::kernel
