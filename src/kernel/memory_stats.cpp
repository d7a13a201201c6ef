// Global counters are vm_zone_stat[] and vm_node_stat[] (atomic_long_t, without the per-CPU
// deltas not yet folded in, exactly as /proc/meminfo reads them); which array holds an item
// (NR_PAGETABLE moved from zones to nodes in 5.19) is read from its enum's type. MemAvailable
// is si_mem_available(); Buffers is nr_blockdev_pages(): the page cache of every block device
// inode.
#include "kernel/memory_stats.hpp"

#include "kernel/list_walker.hpp"
#include "kernel/slab_caches.hpp"

#include <algorithm>

namespace kdive::kernel {

namespace {

constexpr std::size_t max_block_devices = 1'000'000;

class StatReader {
public:
    explicit StatReader(Kernel& kernel) : kernel_(kernel) {}

    // Pages of a zone_stat_item or node_stat_item by name; 0 for an item this kernel lacks
    // when `optional`.
    Result<std::uint64_t> pages(std::string_view item, bool optional = false) {
        auto found = kernel_.info().find_enumerator(item);
        if (!found) {
            if (optional) {
                return 0;
            }
            return fail("the debug info has no enumerator {} (a memory counter)", item);
        }
        const bool zone = found->type != nullptr && found->type->name == "zone_stat_item";
        const char* array = zone ? "vm_zone_stat" : "vm_node_stat";
        auto base = kernel_.address_of(array);
        if (!base) {
            return std::unexpected(base.error());
        }
        if (found->value < 0 || found->value > 4096) {
            return fail_as(ErrorKind::corrupt, "{} is {}: not an index of {}", item, found->value,
                           array);
        }
        auto value = kernel_.read_u64(*base + 8 * static_cast<std::uint64_t>(found->value));
        if (!value) {
            return wrap(value.error(), fmt::format("reading {}[{}]", array, item));
        }
        return static_cast<std::int64_t>(*value) < 0 ? 0 : *value;
    }

    Result<std::uint64_t> global(std::string_view symbol) {
        return kernel_.read_global_u64(symbol);
    }

private:
    Kernel& kernel_;
};

// nr_blockdev_pages(): every inode of the bdev pseudo file system is a block device's.
Result<std::uint64_t> block_device_pages(Kernel& kernel) {
    auto super_at = kernel.address_of("blockdev_superblock");
    auto super_layout = kernel.layout("super_block");
    auto inode_layout = kernel.layout("inode");
    auto mapping_layout = kernel.layout("address_space");
    if (!super_at || !super_layout || !inode_layout || !mapping_layout) {
        return std::unexpected(!super_at       ? super_at.error()
                               : !super_layout ? super_layout.error()
                               : !inode_layout ? inode_layout.error()
                                               : mapping_layout.error());
    }
    auto super = kernel.read_u64(*super_at);
    if (!super) {
        return wrap(super.error(), "reading blockdev_superblock");
    }
    auto inodes = (*super_layout)->offset("s_inodes");
    auto link = (*inode_layout)->offset("i_sb_list");
    auto mapping = (*inode_layout)->offset("i_mapping");
    auto nrpages = (*mapping_layout)->offset("nrpages");
    if (!inodes || !link || !mapping || !nrpages) {
        return fail("the block device inodes' layout is not readable here");
    }
    ListWalk walk;
    walk.start = *super + *inodes;
    walk.head = true;
    walk.link_offset = *link;
    walk.max_entries = max_block_devices;
    auto all = walk_list(kernel, walk);
    if (!all) {
        return wrap(all.error(), "walking the block device inodes");
    }
    std::uint64_t pages = 0;
    for (const std::uint64_t inode : *all) {
        auto space = kernel.read_u64(inode + *mapping);
        if (!space) {
            return wrap(space.error(), fmt::format("reading i_mapping of inode {:#x}", inode));
        }
        auto count = kernel.read_u64(*space + *nrpages);
        if (!count) {
            return wrap(count.error(), fmt::format("reading nrpages of mapping {:#x}", *space));
        }
        pages += *count;
    }
    return pages;
}

// Every zone with managed pages, and the sum of their low watermarks (si_mem_available()).
Result<std::uint64_t> read_zones(Kernel& kernel, MemoryStats& stats) {
    auto node_layout = kernel.layout("pglist_data");
    auto zone_layout = kernel.layout("zone");
    if (!node_layout || !zone_layout) {
        return std::unexpected(!node_layout ? node_layout.error() : zone_layout.error());
    }
    auto zones_field = (*node_layout)->require("node_zones");
    if (!zones_field) {
        return std::unexpected(zones_field.error());
    }
    const StructLayout& zone = **zone_layout;
    auto name = zone.require("name");
    auto present = zone.require("present_pages");
    auto managed = zone.require("managed_pages");
    auto watermark = zone.require("_watermark");
    auto boost = zone.require("watermark_boost");
    auto zone_stat = zone.require("vm_stat");
    for (const auto* field : {&name, &present, &managed, &watermark, &boost, &zone_stat}) {
        if (!*field) {
            return std::unexpected(field->error());
        }
    }
    auto free_item = kernel.info().find_enumerator("NR_FREE_PAGES");
    auto low_item = kernel.info().find_enumerator("WMARK_LOW");
    if (!free_item || !low_item) {
        return fail("the debug info has no NR_FREE_PAGES or WMARK_LOW");
    }
    std::vector<std::uint64_t> nodes;
    if (kernel.has_symbol("node_data")) {
        auto array = kernel.address_of("node_data");
        auto read = read_node_count(kernel);
        const std::uint32_t count = read ? std::min(*read, max_numnodes) : 1;
        for (std::uint32_t i = 0; array && i < count; ++i) {
            auto node = kernel.read_u64(*array + 8 * std::uint64_t{i});
            if (!node) {
                return wrap(node.error(), fmt::format("reading node_data[{}]", i));
            }
            nodes.push_back(*node);
        }
    } else {
        auto single = kernel.address_of("contig_page_data");
        if (!single) {
            return std::unexpected(single.error());
        }
        nodes.push_back(*single);
    }
    const std::uint64_t zone_count = zones_field->size / zone.size();
    std::uint64_t low_watermarks = 0;
    for (std::size_t n = 0; n < nodes.size(); ++n) {
        if (nodes[n] == 0) {
            continue;
        }
        for (std::uint64_t z = 0; z < zone_count; ++z) {
            const std::uint64_t at = nodes[n] + zones_field->offset + z * zone.size();
            auto record = kernel.read(at, zone.size());
            if (!record) {
                return wrap(record.error(), fmt::format("reading zone {} of node {}", z, n));
            }
            const std::uint64_t managed_pages = record->get(*managed);
            if (managed_pages == 0) {
                continue;
            }
            ZoneMemory out;
            out.node = static_cast<int>(n);
            auto text = kernel.read_c_string(record->get(*name), 32);
            out.name = text ? *text : "?";
            out.present = record->get(*present) * page_bytes;
            out.managed = managed_pages * page_bytes;
            out.free =
                record->u64(zone_stat->offset + 8 * static_cast<std::uint64_t>(free_item->value)) *
                page_bytes;
            stats.zones.push_back(std::move(out));
            low_watermarks +=
                record->u64(watermark->offset + 8 * static_cast<std::uint64_t>(low_item->value)) +
                record->get(*boost);
        }
    }
    return low_watermarks;
}

} // namespace

Result<MemoryStats> read_memory_stats(Kernel& kernel) {
    StatReader stats(kernel);
    MemoryStats out;
    const char* total_symbol =
        kernel.has_symbol("_totalram_pages") ? "_totalram_pages" : "totalram_pages";
    auto total = stats.global(total_symbol);
    auto free = stats.pages("NR_FREE_PAGES");
    auto file = stats.pages("NR_FILE_PAGES");
    auto swapcache = stats.pages("NR_SWAPCACHE", true);
    auto slab_reclaimable = stats.pages("NR_SLAB_RECLAIMABLE_B");
    auto slab_unreclaimable = stats.pages("NR_SLAB_UNRECLAIMABLE_B");
    auto page_tables = stats.pages("NR_PAGETABLE");
    auto active_file = stats.pages("NR_ACTIVE_FILE");
    auto inactive_file = stats.pages("NR_INACTIVE_FILE");
    auto misc_reclaimable = stats.pages("NR_KERNEL_MISC_RECLAIMABLE", true);
    auto reserve = stats.global("totalreserve_pages");
    for (const auto* value :
         {&total, &free, &file, &swapcache, &slab_reclaimable, &slab_unreclaimable, &page_tables,
          &active_file, &inactive_file, &misc_reclaimable, &reserve}) {
        if (!*value) {
            return std::unexpected(value->error());
        }
    }
    auto buffers = block_device_pages(kernel);
    if (!buffers) {
        return std::unexpected(buffers.error());
    }
    auto low = read_zones(kernel, out);
    if (!low) {
        return std::unexpected(low.error());
    }
    // si_mem_available(), in signed arithmetic as the kernel does it.
    const auto signed_pages = [](std::uint64_t pages) { return static_cast<std::int64_t>(pages); };
    std::int64_t available = signed_pages(*free) - signed_pages(*reserve);
    std::int64_t pagecache = signed_pages(*active_file + *inactive_file);
    pagecache -= std::min(pagecache / 2, signed_pages(*low));
    available += pagecache;
    const std::int64_t reclaimable = signed_pages(*slab_reclaimable + *misc_reclaimable);
    available += reclaimable - std::min(reclaimable / 2, signed_pages(*low));
    std::int64_t cached = signed_pages(*file) - signed_pages(*swapcache) - signed_pages(*buffers);

    out.total = *total * page_bytes;
    out.free = *free * page_bytes;
    out.available = static_cast<std::uint64_t>(std::max<std::int64_t>(available, 0)) * page_bytes;
    out.buffers = *buffers * page_bytes;
    out.cached = static_cast<std::uint64_t>(std::max<std::int64_t>(cached, 0)) * page_bytes;
    out.slab = (*slab_reclaimable + *slab_unreclaimable) * page_bytes;
    out.page_tables = *page_tables * page_bytes;
    return out;
}

} // namespace kdive::kernel
