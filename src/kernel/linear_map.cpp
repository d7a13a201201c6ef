// The layout's constants come from the architecture's own files; the PFN bounds are the page
// allocator's (max_pfn is past the last page of RAM, min_low_pfn its first: arm64's RAM starts
// where the board puts it, 1 GiB up on QEMU's virt).
#include "kernel/linear_map.hpp"

#include "arch/aarch64/linear_map.hpp"
#include "kernel/kernel_vmcoreinfo.hpp"

namespace kdive::kernel {

namespace {

// x86-64's layout without CONFIG_DYNAMIC_MEMORY_LAYOUT (4-level paging).
constexpr std::uint64_t default_direct_base = 0xffff888000000000ull;
constexpr std::uint64_t default_vmemmap = 0xffffea0000000000ull;

Result<std::uint64_t> variable_or(Kernel& kernel, std::string_view name, std::uint64_t fallback) {
    if (!kernel.has_symbol(name)) {
        return fallback;
    }
    return kernel.read_global_u64(name);
}

Result<> x86_64_layout(Kernel& kernel, LinearMap& map) {
    auto direct = variable_or(kernel, "page_offset_base", default_direct_base);
    auto vmemmap = variable_or(kernel, "vmemmap_base", default_vmemmap);
    if (!direct || !vmemmap) {
        return std::unexpected(!direct ? direct.error() : vmemmap.error());
    }
    map.virtual_base = *direct;
    map.vmemmap = *vmemmap;
    return {};
}

Result<> aarch64_layout(Kernel& kernel, LinearMap& map, std::uint64_t page_struct_size) {
    auto info = read_kernel_vmcoreinfo(kernel);
    if (!info) {
        return wrap(info.error(), "locating the arm64 linear map");
    }
    std::optional<std::uint64_t> memstart;
    if (kernel.has_symbol("memstart_addr")) {
        auto value = kernel.read_global_u64("memstart_addr");
        if (!value) {
            return std::unexpected(value.error());
        }
        memstart = *value;
    }
    auto layout = arch::aarch64::linear_map_layout(*info, memstart, page_struct_size);
    if (!layout) {
        return std::unexpected(layout.error());
    }
    map.virtual_base = layout->page_offset;
    map.virtual_end = layout->page_end;
    map.physical_base = layout->phys_offset;
    map.vmemmap = layout->vmemmap;
    map.page_shift = layout->page_shift;
    return {};
}

} // namespace

std::optional<std::uint64_t> LinearMap::physical_of(std::uint64_t address) const {
    if (address < virtual_base || (virtual_end != 0 && address >= virtual_end)) {
        return std::nullopt;
    }
    const std::uint64_t physical = address - virtual_base + physical_base;
    const std::uint64_t pfn = physical >> page_shift;
    if (pfn < first_pfn || pfn >= end_pfn) {
        return std::nullopt;
    }
    return physical;
}

std::optional<std::uint64_t> LinearMap::pfn_of_page_struct(std::uint64_t address,
                                                           std::uint64_t page_struct_size) const {
    if (page_struct_size == 0) {
        return std::nullopt;
    }
    // vmemmap may lie below the array (arm64 RAM starting above 0), so bound by the array.
    const std::uint64_t first = vmemmap + first_pfn * page_struct_size;
    if (address < first) {
        return std::nullopt;
    }
    const std::uint64_t pfn = first_pfn + (address - first) / page_struct_size;
    if (pfn >= end_pfn) {
        return std::nullopt;
    }
    return pfn;
}

Result<LinearMap> read_linear_map(Kernel& kernel, std::uint64_t page_struct_size) {
    LinearMap map;
    auto ok = kernel.architecture().machine == arch::Machine::aarch64
                  ? aarch64_layout(kernel, map, page_struct_size)
                  : x86_64_layout(kernel, map);
    if (!ok) {
        return std::unexpected(ok.error());
    }
    auto max_pfn = variable_or(kernel, "max_pfn", 0);
    auto min_pfn = variable_or(kernel, "min_low_pfn", 0);
    if (!max_pfn || !min_pfn) {
        return std::unexpected(!max_pfn ? max_pfn.error() : min_pfn.error());
    }
    map.end_pfn = *max_pfn;
    // A min_low_pfn at or past max_pfn is not RAM's start: search from PFN 0 then.
    map.first_pfn = *min_pfn < *max_pfn ? *min_pfn : 0;
    return map;
}

} // namespace kdive::kernel
