// The checks go from the cheapest and most specific to the broadest: the image and modules by
// their ranges, per-CPU units before the direct map they live in, stacks before the vmalloc
// area or page that holds them. A step that cannot be read fails the answer with its reason
// rather than guessing a kind.
#include "kernel/address_owner.hpp"

#include "kernel/module_list.hpp"
#include "kernel/module_sections.hpp"
#include "kernel/module_symbols.hpp"
#include "kernel/per_cpu.hpp"

#include <algorithm>

namespace kdive::kernel {

namespace {

constexpr std::uint64_t default_thread_size = 16384; // x86-64 without KASAN

Result<bool> in_image(Kernel& kernel, AddressOwner& out) {
    auto start = kernel.address_of("_text");
    auto end = kernel.address_of("_end");
    if (!start || !end) {
        return std::unexpected(!start ? start.error() : end.error());
    }
    if (out.address < *start || out.address >= *end) {
        return false;
    }
    out.kind = "image";
    if (auto found = kernel.info().symbols().lookup(kernel.unrelocate(out.address));
        found && found->symbol != nullptr) {
        out.symbol = std::string(found->symbol->name);
        out.symbol_offset = found->offset;
    }
    return true;
}

Result<bool> in_module(Kernel& kernel, AddressOwner& out) {
    auto modules = list_modules(kernel);
    if (!modules) {
        return std::unexpected(modules.error());
    }
    for (const auto& module : *modules) {
        for (const auto& region : module.regions) {
            if (out.address < region.base || out.address - region.base >= region.size) {
                continue;
            }
            out.kind = "module";
            out.module = module.name;
            out.region = region.kind;
            out.region_base = region.base;
            if (auto symbol = module_symbol(kernel, module, out.address)) {
                out.symbol = symbol->name;
                out.symbol_offset = out.address - symbol->address;
            }
            if (auto sections = read_module_sections(kernel, module.module, module.name)) {
                std::uint64_t best = 0;
                for (const auto& [name, start] : *sections) {
                    if (start <= out.address && start >= region.base && start >= best) {
                        best = start;
                        out.section = name;
                    }
                }
            }
            return true;
        }
    }
    return false;
}

Result<bool> in_percpu(Kernel& kernel, AddressOwner& out) {
    if (!kernel.has_symbol("__per_cpu_start") || !kernel.has_symbol("pcpu_unit_size")) {
        return false;
    }
    auto start = kernel.address_of("__per_cpu_start");
    auto end = kernel.address_of("__per_cpu_end");
    auto unit_at = kernel.address_of("pcpu_unit_size");
    if (!start || !end || !unit_at) {
        return std::unexpected(!start ? start.error() : !end ? end.error() : unit_at.error());
    }
    auto unit_size = kernel.read_u32(*unit_at);
    if (!unit_size) {
        return wrap(unit_size.error(), "reading pcpu_unit_size");
    }
    // The first chunk keeps only its populated pages of each unit: the rest of an embedded
    // unit went back to the page allocator, and slabs may live there now.
    // The first chunk's map starts after the static variables (and the reserved part), at
    // its base_addr within CPU 0's unit (pcpu_base_addr), and spans nr_pages.
    std::uint64_t used = *unit_size;
    if (kernel.has_symbol("pcpu_first_chunk") && kernel.has_symbol("pcpu_base_addr")) {
        auto chunk = kernel.read_global_u64("pcpu_first_chunk");
        auto unit0 = kernel.read_global_u64("pcpu_base_addr");
        auto chunk_base = chunk ? kernel.read_member(*chunk, "pcpu_chunk", "base_addr")
                                : Result<std::uint64_t>(std::unexpected(chunk.error()));
        auto pages = chunk ? kernel.read_member(*chunk, "pcpu_chunk", "nr_pages")
                           : Result<std::uint64_t>(std::unexpected(chunk.error()));
        if (!unit0 || !chunk_base || !pages) {
            return wrap(!unit0        ? unit0.error()
                        : !chunk_base ? chunk_base.error()
                                      : pages.error(),
                        "reading the first per-CPU chunk");
        }
        if (*chunk_base >= *unit0) {
            used = std::min<std::uint64_t>(used, *chunk_base - *unit0 + *pages * 4096);
        }
    }
    auto percpu = PerCpu::load(kernel);
    if (!percpu) {
        return std::unexpected(percpu.error());
    }
    for (const int cpu : percpu->possible()) {
        auto base = percpu->address(*start, cpu);
        if (!base) {
            return std::unexpected(base.error());
        }
        if (out.address < *base || out.address - *base >= used) {
            continue;
        }
        out.kind = "percpu";
        out.cpu = cpu;
        const std::uint64_t offset = out.address - *base;
        if (offset >= *end - *start) {
            out.dynamic_percpu = true; // alloc_percpu()'s part of the first chunk
            return true;
        }
        if (auto found = kernel.info().symbols().lookup(kernel.unrelocate(*start) + offset);
            found && found->symbol != nullptr) {
            out.symbol = std::string(found->symbol->name);
            out.symbol_offset = found->offset;
        }
        return true;
    }
    return false;
}

Result<bool> in_stack(Kernel& kernel, TaskWalker& tasks, AddressOwner& out) {
    std::uint64_t thread_size = default_thread_size;
    if (kernel.has_symbol("__start_init_stack") && kernel.has_symbol("__end_init_stack")) {
        auto start = kernel.address_of("__start_init_stack");
        auto end = kernel.address_of("__end_init_stack");
        if (start && end && *end > *start) {
            thread_size = *end - *start;
        }
    }
    auto all = tasks.all_tasks();
    if (!all) {
        return std::unexpected(all.error());
    }
    for (const auto& task : *all) {
        auto stack = kernel.read_member(task.task, "task_struct", "stack");
        if (!stack) {
            return std::unexpected(stack.error());
        }
        if (*stack != 0 && out.address >= *stack && out.address - *stack < thread_size) {
            out.kind = "stack";
            out.task = task;
            out.stack_base = *stack;
            out.stack_size = thread_size;
            return true;
        }
    }
    return false;
}

Result<bool> in_vmalloc(Kernel& kernel, PageMap& pages, AddressOwner& out) {
    auto areas = read_vmalloc_areas(kernel);
    if (!areas) {
        return std::unexpected(areas.error());
    }
    for (const auto& area : *areas) {
        if (out.address < area.start || out.address >= area.end) {
            continue;
        }
        out.kind = "vmalloc";
        out.vmalloc = area;
        auto page = vmalloc_page(kernel, area, out.address);
        if (!page) {
            return std::unexpected(page.error());
        }
        if (auto pfn = pages.pfn_of_page_struct(*page)) {
            auto info = pages.read(*pfn);
            if (!info) {
                return std::unexpected(info.error());
            }
            out.page = *info;
        }
        return true;
    }
    return false;
}

} // namespace

Result<AddressOwner> describe_address(Kernel& kernel, TaskWalker& tasks, std::uint64_t address) {
    AddressOwner out;
    out.address = address;
    if (!arch::is_kernel_address(address)) {
        out.kind = "user";
        return out;
    }
    for (auto check : {in_image, in_module, in_percpu}) {
        auto found = check(kernel, out);
        if (!found) {
            return std::unexpected(found.error());
        }
        if (*found) {
            return out;
        }
    }
    auto pages = PageMap::load(kernel);
    if (!pages) {
        return std::unexpected(pages.error());
    }
    if (auto pfn = pages->direct_pfn(address)) {
        auto page = pages->read(*pfn);
        if (!page) {
            return std::unexpected(page.error());
        }
        out.page = *page;
        if (page->slab) {
            auto object = find_slab_object(kernel, *pages, *page, address);
            if (!object) {
                return std::unexpected(object.error());
            }
            out.kind = "slab";
            out.slab = std::move(*object);
            return out;
        }
        auto stack = in_stack(kernel, tasks, out);
        if (!stack) {
            return std::unexpected(stack.error());
        }
        if (!*stack) {
            out.kind = "page";
        }
        return out;
    }
    if (auto pfn = pages->pfn_of_page_struct(address)) {
        auto page = pages->read(*pfn);
        if (!page) {
            return std::unexpected(page.error());
        }
        out.kind = "page struct";
        out.page = *page;
        return out;
    }
    auto stack = in_stack(kernel, tasks, out);
    if (!stack) {
        return std::unexpected(stack.error());
    }
    // A vmalloc'd stack keeps the kind "stack": the task says more than the area, which is
    // added beside it.
    const std::string stack_kind = out.kind;
    auto area = in_vmalloc(kernel, *pages, out);
    if (!area) {
        return std::unexpected(area.error());
    }
    if (*stack) {
        out.kind = stack_kind;
    } else if (!*area) {
        out.kind = "unknown";
    }
    return out;
}

} // namespace kdive::kernel
