// The slab caches as /proc/slabinfo counts them (SLUB): per cache its object sizes, slab
// geometry, and objects and slabs summed over the NUMA nodes, with the free objects of partial
// slabs subtracted for the active count.
#pragma once

#include "kernel/kernel.hpp"
#include "support/error.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace kdive::kernel {

struct SlabCache {
    std::uint64_t address = 0; // struct kmem_cache
    std::string name;
    std::uint64_t object_size = 0;      // what the cache's users asked for
    std::uint64_t size = 0;             // the stride in a slab (slabinfo's and crash's objsize)
    std::uint64_t objects_per_slab = 0; // slabinfo's objperslab
    std::uint64_t pages_per_slab = 0;   // slabinfo's pagesperslab
    std::uint64_t objects = 0;          // num_objs
    std::uint64_t active_objects = 0;   // active_objs: objects less partial slabs' free ones
    std::uint64_t slabs = 0;            // num_slabs
};

// Every cache on slab_caches, in list order (newest first, as /proc/slabinfo prints them).
// Kernels built with SLAB or SLOB are refused by name; a cache whose counts cannot be read
// fails the whole answer with the cache's name and address.
Result<std::vector<SlabCache>> read_slab_caches(Kernel& kernel);

// nr_node_ids (1 on kernels without NUMA): how many entries of a cache's node array are its own.
Result<std::uint32_t> read_node_count(Kernel& kernel);

} // namespace kdive::kernel
