// What a kernel address is (crash's `kmem ADDR`): the kernel image (symbol), a module (region,
// section, symbol), a per-CPU area (CPU, variable), a slab object (cache, object, allocated or
// free), a page of the direct map, a task's stack, a vmalloc area (caller, page), or a struct
// page of the memory map.
#pragma once

#include "kernel/kernel.hpp"
#include "kernel/page_info.hpp"
#include "kernel/slab_object.hpp"
#include "kernel/task_walker.hpp"
#include "kernel/vmalloc_areas.hpp"
#include "support/error.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace kdive::kernel {

struct AddressOwner {
    std::uint64_t address = 0;
    // "image", "module", "percpu", "slab", "page", "stack", "vmalloc", "page struct",
    // "user" (below the kernel half), "unknown".
    std::string kind;
    std::string symbol; // image, module, per-CPU variable; "" when none covers the address
    std::uint64_t symbol_offset = 0;
    std::string module, region, section; // a module's name, memory region and ELF section
    std::uint64_t region_base = 0;
    int cpu = -1;                 // per-CPU area
    bool dynamic_percpu = false;  // in a CPU's unit past the static variables
    std::optional<PageInfo> page; // the page holding the address (direct map, vmalloc)
    std::optional<SlabObject> slab;
    std::optional<VmallocArea> vmalloc;
    std::optional<TaskInfo> task; // whose stack
    std::uint64_t stack_base = 0, stack_size = 0;
};

// `tasks` finds the stack's owner; module sections come from mod->sect_attrs when the kernel
// keeps them (a missing one leaves `section` empty).
Result<AddressOwner> describe_address(Kernel& kernel, TaskWalker& tasks, std::uint64_t address);

} // namespace kdive::kernel
