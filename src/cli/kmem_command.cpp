// `kmem` (crash's): -s the slab caches, as /proc/slabinfo and lx-slabinfo count them; a name
// after -s keeps the caches of that name; -i the memory totals as /proc/meminfo reports them;
// -p a struct page decoded; an address (or expression) alone: what that address is.
#include "cli/address_output.hpp"
#include "cli/kernel_commands.hpp"
#include "cli/memory_output.hpp"
#include "kernel/address_owner.hpp"
#include "kernel/memory_stats.hpp"
#include "kernel/module_list.hpp"
#include "kernel/module_symbols.hpp"
#include "kernel/page_info.hpp"
#include "kernel/slab_caches.hpp"
#include "kernel/vmalloc_areas.hpp"
#include "support/text.hpp"

#include <algorithm>

namespace kdive::cli {

Result<std::string> KernelCommands::kmem(std::vector<std::string>& args, bool json) {
    kernel::Kernel& view = **kernel();
    if (args.empty()) {
        return fail_as(ErrorKind::invalid_input,
                       "kmem: say what to show: -s (slab caches), -i (memory totals), -p PFN|ADDR "
                       "(a page), or an address");
    }
    if (!args.front().starts_with("-")) {
        return kmem_address(args, json);
    }
    const std::string option = args.front();
    args.erase(args.begin());
    if (option == "-s") {
        if (args.size() > 1) {
            return fail_as(ErrorKind::invalid_input, "kmem -s: at most one cache name, not {}",
                           args.size());
        }
        auto caches = kernel::read_slab_caches(view);
        if (!caches) {
            return std::unexpected(caches.error());
        }
        if (!args.empty()) {
            std::erase_if(*caches, [&](const auto& cache) { return cache.name != args.front(); });
            if (caches->empty()) {
                return fail_as(ErrorKind::invalid_input, "kmem -s: no slab cache is named {}",
                               args.front());
            }
        }
        return json ? slab_caches_json(*caches) : slab_caches_text(*caches);
    }
    if (option == "-i") {
        if (!args.empty()) {
            return fail_as(ErrorKind::invalid_input, "kmem -i takes no arguments");
        }
        auto stats = kernel::read_memory_stats(view);
        if (!stats) {
            return std::unexpected(stats.error());
        }
        return json ? memory_stats_json(*stats) : memory_stats_text(*stats);
    }
    if (option == "-p") {
        return kmem_page(args, json);
    }
    if (option == "-v") { // crash's name for the vmalloc list
        return vmalloc(args, json);
    }
    return fail_as(ErrorKind::invalid_input, "kmem: unknown option {} (known: -s, -i, -p, -v)",
                   option);
}

Result<std::string> KernelCommands::kmem_address(std::vector<std::string>& args, bool json) {
    auto address = address_argument("kmem", join_words(args));
    if (!address) {
        return std::unexpected(address.error());
    }
    auto walker = tasks();
    if (!walker) {
        return std::unexpected(walker.error());
    }
    auto owner = kernel::describe_address(**kernel(), **walker, *address);
    if (!owner) {
        return wrap(owner.error(), fmt::format("kmem {:#x}", *address));
    }
    const CodeNamer name = [this](std::uint64_t code) { return code_location(code); };
    return json ? address_owner_json(*owner, name) : address_owner_text(*owner, name);
}

// -p takes a PFN, the direct map's address of a page, or a struct page's own address.
Result<std::string> KernelCommands::kmem_page(std::vector<std::string>& args, bool json) {
    if (args.empty()) {
        return fail_as(ErrorKind::invalid_input, "usage: kmem -p PFN|ADDRESS");
    }
    auto value = address_argument("kmem", join_words(args));
    if (!value) {
        return std::unexpected(value.error());
    }
    auto pages = kernel::PageMap::load(**kernel());
    if (!pages) {
        return std::unexpected(pages.error());
    }
    std::optional<std::uint64_t> pfn;
    if (*value < pages->max_pfn()) {
        pfn = *value;
    } else if (auto direct = pages->direct_pfn(*value)) {
        pfn = direct;
    } else {
        pfn = pages->pfn_of_page_struct(*value);
    }
    if (!pfn) {
        return fail_as(ErrorKind::invalid_input,
                       "kmem -p: {:#x} is neither a PFN below max_pfn ({:#x}), a direct-map "
                       "address nor a struct page",
                       *value, pages->max_pfn());
    }
    auto page = pages->read(*pfn);
    if (!page) {
        return std::unexpected(page.error());
    }
    return json ? page_json(*page) : page_text(*page);
}

Result<std::string> KernelCommands::vmalloc(std::vector<std::string>& args, bool json) {
    if (!args.empty()) {
        return fail_as(ErrorKind::invalid_input, "vmalloc takes no arguments");
    }
    auto areas = kernel::read_vmalloc_areas(**kernel());
    if (!areas) {
        return std::unexpected(areas.error());
    }
    const CodeNamer name = [this](std::uint64_t code) { return code_location(code); };
    return json ? vmalloc_areas_json(*areas, name) : vmalloc_areas_text(*areas, name);
}

std::string KernelCommands::code_location(std::uint64_t address) {
    kernel::Kernel& view = **kernel();
    if (view.info().image_range().contains(view.unrelocate(address))) {
        if (auto found = view.info().symbols().lookup(view.unrelocate(address));
            found && found->symbol != nullptr) {
            return found->offset == 0 ? std::string(found->symbol->name)
                                      : fmt::format("{}+{:#x}", found->symbol->name, found->offset);
        }
        return fmt::format("{:#x}", address);
    }
    if (auto modules = kernel::list_modules(view)) {
        for (const auto& module : *modules) {
            for (const auto& region : module.regions) {
                if (address < region.base || address - region.base >= region.size) {
                    continue;
                }
                if (auto symbol = kernel::module_symbol(view, module, address)) {
                    const std::uint64_t offset = address - symbol->address;
                    return offset == 0
                               ? fmt::format("{} [{}]", symbol->name, module.name)
                               : fmt::format("{}+{:#x} [{}]", symbol->name, offset, module.name);
                }
                return fmt::format("{:#x} [{}]", address, module.name);
            }
        }
    }
    return fmt::format("{:#x}", address);
}

} // namespace kdive::cli
