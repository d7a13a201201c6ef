// Which SLUB object an address falls in, and whether that object is allocated: found from the
// slab's struct page/slab, and told free by the slab's freelist, the per-CPU freelists (before
// 7.0) and the per-CPU and per-node sheaves that hold freed objects (7.0+).
#pragma once

#include "kernel/kernel.hpp"
#include "kernel/page_info.hpp"
#include "support/error.hpp"

#include <cstdint>
#include <string>

namespace kdive::kernel {

struct SlabObject {
    std::uint64_t cache = 0; // struct kmem_cache
    std::string cache_name;
    std::uint64_t slab = 0;   // struct slab (struct page before 5.17)
    std::uint64_t object = 0; // start of the object; 0 when the address is in the slab's padding
    std::uint64_t index = 0;
    std::uint64_t object_size = 0; // the stride
    std::uint64_t objects = 0;     // objects in this slab
    bool allocated = false;
    // Where a free object was found: "slab freelist", "CPU 1 freelist", "CPU 0 sheaf",
    // "node 0 barn", "CPU 0 RCU sheaf".
    std::string free_in;
};

// `page` is the page holding `address` (PageMap::read), already known to be a slab page.
Result<SlabObject> find_slab_object(Kernel& kernel, PageMap& pages, const PageInfo& page,
                                    std::uint64_t address);

} // namespace kdive::kernel
