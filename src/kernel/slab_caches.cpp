// As mm/slub.c's get_slabinfo(): the node counters nr_slabs and total_objects (CONFIG_SLUB_DEBUG,
// which Debian builds) give the totals, and the partial lists give the free objects; objects in
// per-CPU slabs count as active, as they do in /proc/slabinfo. A partial slab is struct slab
// from 5.17 on and struct page before; both carry the inuse/objects bitfields.
#include "kernel/slab_caches.hpp"

#include "kernel/list_walker.hpp"

#include <algorithm>

namespace kdive::kernel {

namespace {

constexpr std::size_t max_caches = 100'000;
constexpr std::size_t max_partial_slabs = 16'000'000;
constexpr unsigned order_shift = 16; // struct kmem_cache_order_objects: order << 16 | objects

struct SlabLayouts {
    const StructLayout* cache = nullptr;
    const StructLayout* node = nullptr;
    Field name, object_size, size, oo, node_array, nr_slabs, total_objects, partial;
    std::uint64_t list = 0;
    // kmem_cache's node array: pointers, or (6.18+) structs holding the pointer.
    std::uint64_t node_stride = 8;
    std::uint64_t node_pointer = 0;
    // The partial slab: struct slab or struct page.
    std::uint64_t slab_list = 0;
    Field inuse, objects;

    Result<> load(Kernel& kernel) {
        auto cache_layout = kernel.layout("kmem_cache");
        if (!cache_layout) {
            return std::unexpected(cache_layout.error());
        }
        cache = *cache_layout;
        // SLAB's caches have per-CPU array caches, SLOB's no nodes at all.
        if (cache->has("cpu_cache") || !(cache->has("node") || cache->has("per_node"))) {
            return fail_as(ErrorKind::unsupported,
                           "this kernel's slab allocator is SLAB or SLOB (struct kmem_cache has "
                           "{}); only SLUB caches are read",
                           cache->has("cpu_cache") ? "cpu_cache" : "no node array");
        }
        if (cache->has("per_node")) {
            // 6.18+: struct kmem_cache_per_node_ptrs { node, barn } per node.
            auto per_node = kernel.layout("kmem_cache_per_node_ptrs");
            if (!per_node) {
                return std::unexpected(per_node.error());
            }
            auto inner = (*per_node)->offset("node");
            if (!inner) {
                return std::unexpected(inner.error());
            }
            node_stride = (*per_node)->size();
            node_pointer = *inner;
        }
        auto node_layout = kernel.layout("kmem_cache_node");
        if (!node_layout) {
            return std::unexpected(node_layout.error());
        }
        node = *node_layout;
        if (!node->has("total_objects")) {
            return fail_as(ErrorKind::unsupported,
                           "struct kmem_cache_node has no total_objects: this kernel was built "
                           "without CONFIG_SLUB_DEBUG, which slab counts need");
        }
        const StructLayout* slab = kernel.find_layout("slab");
        if (slab == nullptr || !slab->has("slab_list")) {
            auto page = kernel.layout("page");
            if (!page) {
                return std::unexpected(page.error());
            }
            slab = *page;
        }
        for (auto [layout, path, into] :
             {std::tuple{cache, "name", &name},
              {cache, "object_size", &object_size},
              {cache, "size", &size},
              {cache, "oo", &oo},
              {cache, cache->has("per_node") ? "per_node" : "node", &node_array},
              {node, "nr_slabs", &nr_slabs},
              {node, "total_objects", &total_objects},
              {node, "partial", &partial},
              {slab, "inuse", &inuse},
              {slab, "objects", &objects}}) {
            auto field = layout->require(path);
            if (!field) {
                return std::unexpected(field.error());
            }
            *into = *field;
        }
        auto list_offset = cache->offset("list");
        auto slab_list_offset = slab->offset("slab_list");
        if (!list_offset || !slab_list_offset) {
            return std::unexpected(!list_offset ? list_offset.error() : slab_list_offset.error());
        }
        list = *list_offset;
        slab_list = *slab_list_offset;
        return {};
    }
};

class SlabReader {
public:
    SlabReader(Kernel& kernel, const SlabLayouts& layouts, std::uint32_t nodes)
        : kernel_(kernel), layouts_(layouts), nodes_(nodes) {}

    Result<SlabCache> read(std::uint64_t address) {
        auto record = kernel_.read(address, layouts_.cache->size());
        if (!record) {
            return wrap(record.error(), fmt::format("reading struct kmem_cache at {:#x}", address));
        }
        SlabCache cache;
        cache.address = address;
        const std::uint64_t name_at = record->get(layouts_.name);
        auto name = kernel_.read_c_string(name_at, 256);
        cache.name = name ? *name : fmt::format("?{:#x}", name_at);
        cache.object_size = record->get(layouts_.object_size);
        cache.size = record->get(layouts_.size);
        const std::uint64_t oo = record->get(layouts_.oo);
        cache.objects_per_slab = oo & ((1U << order_shift) - 1);
        cache.pages_per_slab = std::uint64_t{1} << std::min<std::uint64_t>(oo >> order_shift, 63);
        std::uint64_t free = 0;
        for (std::uint32_t i = 0; i < nodes_; ++i) {
            const std::uint64_t node = record->u64(
                layouts_.node_array.offset + layouts_.node_stride * i + layouts_.node_pointer);
            if (node == 0) {
                continue;
            }
            auto counts = read_node(node, free);
            if (!counts) {
                return wrap(counts.error(),
                            fmt::format("slab cache {} at {:#x}, node {}", cache.name, address, i));
            }
            cache.slabs += counts->first;
            cache.objects += counts->second;
        }
        cache.active_objects = cache.objects >= free ? cache.objects - free : 0;
        return cache;
    }

private:
    // (slabs, objects) of one node; adds the free objects of its partial slabs to `free`.
    Result<std::pair<std::uint64_t, std::uint64_t>> read_node(std::uint64_t node,
                                                              std::uint64_t& free) {
        auto record = kernel_.read(node, layouts_.node->size());
        if (!record) {
            return wrap(record.error(), fmt::format("reading kmem_cache_node at {:#x}", node));
        }
        ListWalk walk;
        walk.start = node + layouts_.partial.offset;
        walk.head = true;
        walk.link_offset = layouts_.slab_list;
        walk.max_entries = max_partial_slabs;
        auto partial = walk_list(kernel_, walk);
        if (!partial) {
            return std::unexpected(partial.error());
        }
        const std::uint64_t first = std::min(layouts_.inuse.offset, layouts_.objects.offset);
        const std::uint64_t end = std::max(layouts_.inuse.offset + layouts_.inuse.size,
                                           layouts_.objects.offset + layouts_.objects.size);
        Field inuse = layouts_.inuse;
        Field objects = layouts_.objects;
        inuse.offset -= first;
        objects.offset -= first;
        for (const std::uint64_t slab : *partial) {
            auto counters = kernel_.read(slab + first, end - first);
            if (!counters) {
                return wrap(counters.error(), fmt::format("reading partial slab {:#x}", slab));
            }
            const std::uint64_t total = counters->get(objects);
            const std::uint64_t used = counters->get(inuse);
            free += total > used ? total - used : 0;
        }
        return std::pair{record->get(layouts_.nr_slabs), record->get(layouts_.total_objects)};
    }

    Kernel& kernel_;
    const SlabLayouts& layouts_;
    std::uint32_t nodes_;
};

} // namespace

Result<std::uint32_t> read_node_count(Kernel& kernel) {
    if (!kernel.has_symbol("nr_node_ids")) {
        return 1;
    }
    auto at = kernel.address_of("nr_node_ids");
    auto count = at ? kernel.read_u32(*at) : Result<std::uint32_t>(std::unexpected(at.error()));
    if (!count) {
        return wrap(count.error(), "reading nr_node_ids");
    }
    return *count;
}

Result<std::vector<SlabCache>> read_slab_caches(Kernel& kernel) {
    SlabLayouts layouts;
    if (auto ok = layouts.load(kernel); !ok) {
        return std::unexpected(ok.error());
    }
    auto node_count = read_node_count(kernel);
    if (!node_count) {
        return std::unexpected(node_count.error());
    }
    const std::uint32_t nodes = *node_count;
    const std::uint64_t array_slots = layouts.node_array.size / layouts.node_stride;
    if (nodes == 0 || nodes > max_numnodes || (array_slots != 0 && nodes > array_slots)) {
        return fail_as(ErrorKind::corrupt, "nr_node_ids is {}: not a NUMA node count", nodes);
    }
    auto head = kernel.address_of("slab_caches");
    if (!head) {
        return std::unexpected(head.error());
    }
    ListWalk walk;
    walk.start = *head;
    walk.head = true;
    walk.link_offset = layouts.list;
    walk.max_entries = max_caches;
    auto addresses = walk_list(kernel, walk);
    if (!addresses) {
        return wrap(addresses.error(), "walking slab_caches");
    }
    SlabReader reader(kernel, layouts, nodes);
    std::vector<SlabCache> caches;
    caches.reserve(addresses->size());
    for (const std::uint64_t address : *addresses) {
        auto cache = reader.read(address);
        if (!cache) {
            return std::unexpected(cache.error());
        }
        caches.push_back(std::move(*cache));
    }
    return caches;
}

} // namespace kdive::kernel
