// vmallocinfo's kinds come from vm->flags (VM_IOREMAP 0x1, VM_ALLOC 0x2, VM_MAP 0x4, VM_USERMAP
// 0x8, VM_DMA_COHERENT 0x10: stable since 5.x). An area without a vm_struct is a vm_map_ram
// one, which 6.1+ print only when vmap_area's VMAP_RAM flag says so.
#include "kernel/vmalloc_areas.hpp"

#include "kernel/list_walker.hpp"

#include <algorithm>

namespace kdive::kernel {

namespace {

constexpr std::size_t max_areas = 4'000'000;
constexpr std::uint32_t max_vmap_nodes = 4096;
constexpr std::uint64_t vmap_ram = 0x1;

// The heads of the busy lists: vmap_area_list, or each vmap_node's busy.head.
Result<std::vector<std::uint64_t>> busy_lists(Kernel& kernel) {
    if (kernel.has_symbol("vmap_area_list")) {
        auto head = kernel.address_of("vmap_area_list");
        if (!head) {
            return std::unexpected(head.error());
        }
        return std::vector<std::uint64_t>{*head};
    }
    auto nodes_at = kernel.address_of("vmap_nodes");
    auto count_at = kernel.address_of("nr_vmap_nodes");
    if (!nodes_at || !count_at) {
        return fail_as(ErrorKind::unsupported,
                       "this kernel has neither vmap_area_list nor vmap_nodes");
    }
    auto nodes = kernel.read_u64(*nodes_at);
    auto count = kernel.read_u32(*count_at);
    if (!nodes || !count) {
        return wrap(!nodes ? nodes.error() : count.error(), "reading vmap_nodes");
    }
    if (*count == 0 || *count > max_vmap_nodes) {
        return fail_as(ErrorKind::corrupt, "nr_vmap_nodes is {}", *count);
    }
    auto node = kernel.layout("vmap_node");
    if (!node) {
        return std::unexpected(node.error());
    }
    auto busy = (*node)->offset("busy.head");
    if (!busy) {
        return std::unexpected(busy.error());
    }
    std::vector<std::uint64_t> heads;
    for (std::uint32_t i = 0; i < *count; ++i) {
        heads.push_back(*nodes + i * (*node)->size() + *busy);
    }
    return heads;
}

} // namespace

Result<std::vector<VmallocArea>> read_vmalloc_areas(Kernel& kernel) {
    auto area_layout = kernel.layout("vmap_area");
    auto vm_layout = kernel.layout("vm_struct");
    if (!area_layout || !vm_layout) {
        return std::unexpected(!area_layout ? area_layout.error() : vm_layout.error());
    }
    const StructLayout& area = **area_layout;
    const StructLayout& vm = **vm_layout;
    auto link = area.offset("list");
    if (!link) {
        return std::unexpected(link.error());
    }
    std::vector<Field> fields;
    for (auto [layout, path] : {std::pair{&area, "va_start"},
                                {&area, "va_end"},
                                {&area, "vm"},
                                {&vm, "addr"},
                                {&vm, "size"},
                                {&vm, "flags"},
                                {&vm, "pages"},
                                {&vm, "nr_pages"},
                                {&vm, "phys_addr"},
                                {&vm, "caller"}}) {
        auto field = layout->require(path);
        if (!field) {
            return std::unexpected(field.error());
        }
        fields.push_back(*field);
    }
    const auto area_flags = area.field("flags");
    auto heads = busy_lists(kernel);
    if (!heads) {
        return std::unexpected(heads.error());
    }
    std::vector<VmallocArea> areas;
    for (const std::uint64_t head : *heads) {
        ListWalk walk;
        walk.start = head;
        walk.head = true;
        walk.link_offset = *link;
        walk.max_entries = max_areas;
        auto entries = walk_list(kernel, walk);
        if (!entries) {
            return std::unexpected(entries.error());
        }
        for (const std::uint64_t entry : *entries) {
            auto record = kernel.read(entry, area.size());
            if (!record) {
                return wrap(record.error(), fmt::format("reading vmap_area {:#x}", entry));
            }
            VmallocArea out;
            out.area = entry;
            out.start = record->get(fields[0]);
            out.end = record->get(fields[1]);
            out.vm = record->get(fields[2]);
            if (out.vm == 0) {
                if (area_flags && (record->get(*area_flags) & vmap_ram) == 0) {
                    continue; // being set up or torn down: vmallocinfo skips it too
                }
                out.kinds.emplace_back("vm_map_ram");
                areas.push_back(std::move(out));
                continue;
            }
            auto vm_record = kernel.read(out.vm, vm.size());
            if (!vm_record) {
                return wrap(
                    vm_record.error(),
                    fmt::format("reading the vm_struct {:#x} of vmap_area {:#x}", out.vm, entry));
            }
            out.address = vm_record->get(fields[3]);
            out.size = vm_record->get(fields[4]);
            out.flags = vm_record->get(fields[5]);
            out.pages = vm_record->get(fields[6]);
            out.nr_pages = vm_record->get(fields[7]);
            out.phys_addr = vm_record->get(fields[8]);
            out.caller = vm_record->get(fields[9]);
            for (auto [bit, name] : {std::pair{0x1U, "ioremap"},
                                     {0x2U, "vmalloc"},
                                     {0x4U, "vmap"},
                                     {0x8U, "user"},
                                     {0x10U, "dma-coherent"}}) {
                if ((out.flags & bit) != 0) {
                    out.kinds.emplace_back(name);
                }
            }
            areas.push_back(std::move(out));
        }
    }
    std::ranges::sort(areas, {}, &VmallocArea::start);
    return areas;
}

Result<std::uint64_t> vmalloc_page(Kernel& kernel, const VmallocArea& area, std::uint64_t address) {
    if (area.pages == 0 || address < area.address) {
        return 0;
    }
    const std::uint64_t index = (address - area.address) / 4096;
    if (index >= area.nr_pages) {
        return 0;
    }
    auto page = kernel.read_u64(area.pages + index * 8);
    if (!page) {
        return wrap(page.error(), fmt::format("reading page {} of the vmalloc area at {:#x}", index,
                                              area.address));
    }
    return *page;
}

} // namespace kdive::kernel
