// The entries of an XArray (and of a radix tree, which has been one since 4.20) in index
// order: page caches, IDRs, the IRQ descriptors before 6.5, and `tree -t xarray|radix`. Value
// entries (tagged integers) are returned as stored; internal entries (siblings, retries) are
// skipped. A node seen twice, a shift that does not shrink, or an unreadable node is an error
// naming the address.
#pragma once

#include "kernel/kernel.hpp"
#include "support/error.hpp"

#include <cstdint>
#include <vector>

namespace kdive::kernel {

struct XArrayEntry {
    std::uint64_t index = 0;
    std::uint64_t value = 0;
};

// `xarray` is the address of a struct xarray (or radix_tree_root).
Result<std::vector<XArrayEntry>> xarray_entries(Kernel& kernel, std::uint64_t xarray);

} // namespace kdive::kernel
