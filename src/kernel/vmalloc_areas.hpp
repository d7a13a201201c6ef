// The busy vmalloc areas as /proc/vmallocinfo lists them: each vmap_area with its vm_struct
// (address, size with the guard page, caller, pages, physical address, kind), from
// vmap_area_list before 6.9 and the per-node busy lists (vmap_nodes) after.
#pragma once

#include "kernel/kernel.hpp"
#include "support/error.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace kdive::kernel {

struct VmallocArea {
    std::uint64_t area = 0;              // struct vmap_area
    std::uint64_t start = 0, end = 0;    // va_start, va_end
    std::uint64_t vm = 0;                // struct vm_struct; 0 for vm_map_ram areas
    std::uint64_t address = 0, size = 0; // vm->addr, vm->size (guard page included)
    std::uint64_t caller = 0;
    std::uint64_t nr_pages = 0;
    std::uint64_t pages = 0; // vm->pages: the struct page pointers of a vmalloc'd area
    std::uint64_t phys_addr = 0;
    std::uint64_t flags = 0;        // VM_*
    std::vector<std::string> kinds; // "ioremap", "vmalloc", "vmap", "user", "vm_map_ram"...
};

// Sorted by start address. vm_map_ram areas (no vm_struct) are listed as vmallocinfo shows them.
Result<std::vector<VmallocArea>> read_vmalloc_areas(Kernel& kernel);

// The page behind `address` in a vmalloc'd area (vm->pages[i]); 0 when the area keeps no pages.
Result<std::uint64_t> vmalloc_page(Kernel& kernel, const VmallocArea& area, std::uint64_t address);

} // namespace kdive::kernel
