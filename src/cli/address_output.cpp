// Addresses are "0x…" strings in JSON, counts plain numbers; guest names (caches, modules,
// commands) go through json_text or terminal_text where they are placed.
#include "cli/address_output.hpp"

#include "support/guest_text.hpp"
#include "support/hex_text.hpp"

#include <fmt/core.h>
#include <nlohmann/json.hpp>

namespace kdive::cli {

namespace {

using Json = nlohmann::json;

std::string joined(const std::vector<std::string>& words, std::string_view separator) {
    std::string out;
    for (const auto& word : words) {
        out += (out.empty() ? "" : std::string(separator)) + word;
    }
    return out;
}

std::string with_offset(const std::string& symbol, std::uint64_t offset) {
    return offset == 0 ? symbol : fmt::format("{}+{:#x}", symbol, offset);
}

Json page_object(const kernel::PageInfo& page) {
    return {{"pfn", page.pfn},
            {"page", hex(page.page)},
            {"physical", hex(page.pfn << 12)},
            {"flags", hex(page.flags)},
            {"flag_names", page.flag_names},
            {"type", page.type},
            {"mapping", hex(page.mapping)},
            {"index", page.index},
            {"refcount", page.refcount},
            {"mapcount", page.mapcount},
            {"head", hex(page.head)},
            {"slab", page.slab}};
}

Json vmalloc_object(const kernel::VmallocArea& area, const CodeNamer& name) {
    Json out = {{"start", hex(area.vm != 0 ? area.address : area.start)},
                {"end", hex(area.vm != 0 ? area.address + area.size : area.end)},
                {"size", area.vm != 0 ? area.size : area.end - area.start},
                {"area", hex(area.area)},
                {"vm", hex(area.vm)},
                {"kinds", area.kinds}};
    if (area.vm != 0) {
        out["caller"] = json_text(name(area.caller));
        out["caller_address"] = hex(area.caller);
        out["pages"] = area.nr_pages;
        out["phys_addr"] = hex(area.phys_addr);
    }
    return out;
}

std::string vmalloc_line(const kernel::VmallocArea& area, const CodeNamer& name) {
    if (area.vm == 0) {
        return fmt::format("{:#x}-{:#x} {:>7} vm_map_ram", area.start, area.end,
                           area.end - area.start);
    }
    std::string line =
        fmt::format("{:#x}-{:#x} {:>7} {}", area.address, area.address + area.size, area.size,
                    terminal_text(name(area.caller), TerminalText::field));
    if (area.nr_pages != 0) {
        line += fmt::format(" pages={}", area.nr_pages);
    }
    if (area.phys_addr != 0) {
        line += fmt::format(" phys={:#x}", area.phys_addr);
    }
    for (const auto& kind : area.kinds) {
        line += " " + kind;
    }
    return line;
}

} // namespace

std::string address_owner_json(const kernel::AddressOwner& owner, const CodeNamer& name) {
    Json out = {{"address", hex(owner.address)}, {"kind", owner.kind}};
    if (!owner.symbol.empty()) {
        out["symbol"] = json_text(owner.symbol);
        out["offset"] = owner.symbol_offset;
    }
    if (owner.kind == "module") {
        out["module"] = json_text(owner.module);
        out["region"] = owner.region;
        out["region_base"] = hex(owner.region_base);
        out["section"] = json_text(owner.section);
    }
    if (owner.kind == "percpu") {
        out["cpu"] = owner.cpu;
        out["dynamic"] = owner.dynamic_percpu;
    }
    if (owner.slab) {
        const auto& slab = *owner.slab;
        out["cache"] = hex(slab.cache);
        out["cache_name"] = json_text(slab.cache_name);
        out["slab"] = hex(slab.slab);
        out["object_size"] = slab.object_size;
        out["objects"] = slab.objects;
        out["index"] = slab.index;
        if (slab.object != 0) {
            out["object"] = hex(slab.object);
            out["object_offset"] = owner.address - slab.object;
            out["allocated"] = slab.allocated;
            if (!slab.allocated) {
                out["free_in"] = slab.free_in;
            }
        }
    }
    if (owner.task) {
        out["pid"] = owner.task->pid;
        out["comm"] = json_text(owner.task->comm);
        out["task"] = hex(owner.task->task);
        out["stack_base"] = hex(owner.stack_base);
        out["stack_size"] = owner.stack_size;
        out["depth"] = owner.stack_base + owner.stack_size - owner.address;
    }
    if (owner.vmalloc) {
        out["vmalloc"] = vmalloc_object(*owner.vmalloc, name);
    }
    if (owner.page) {
        out["page"] = page_object(*owner.page);
    }
    return dump_json(out);
}

std::string address_owner_text(const kernel::AddressOwner& owner, const CodeNamer& name) {
    std::string text = fmt::format("{:x}: ", owner.address);
    const std::string symbol =
        owner.symbol.empty()
            ? ""
            : terminal_text(with_offset(owner.symbol, owner.symbol_offset), TerminalText::field);
    if (owner.kind == "image") {
        text += fmt::format("kernel image{}\n", symbol.empty() ? "" : ", " + symbol);
    } else if (owner.kind == "module") {
        text += fmt::format(
            "module {} ({}{}){}\n", terminal_text(owner.module, TerminalText::field), owner.region,
            owner.section.empty() ? "" : ", " + terminal_text(owner.section, TerminalText::field),
            symbol.empty() ? "" : ", " + symbol);
    } else if (owner.kind == "percpu") {
        text += fmt::format("per-CPU area of CPU {}, {}\n", owner.cpu,
                            owner.dynamic_percpu ? "dynamically allocated part"
                            : symbol.empty()     ? "static part"
                                                 : symbol);
    } else if (owner.kind == "slab" && owner.slab) {
        const auto& slab = *owner.slab;
        text +=
            fmt::format("slab object of cache \"{}\" (kmem_cache {:x}, slab {:x})\n",
                        terminal_text(slab.cache_name, TerminalText::field), slab.cache, slab.slab);
        if (slab.object == 0) {
            text += "  in the slab's padding, outside every object\n";
        } else {
            text +=
                fmt::format("  OBJECT {:x}+{:#x}  index {} of {}, size {}  {}\n", slab.object,
                            owner.address - slab.object, slab.index, slab.objects, slab.object_size,
                            slab.allocated ? "ALLOCATED" : "FREE (" + slab.free_in + ")");
        }
    } else if (owner.kind == "stack" && owner.task) {
        text += fmt::format("stack of PID {} \"{}\" (task {:x}): stack {:x}-{:x}, {:#x} below its "
                            "top\n",
                            owner.task->pid, terminal_text(owner.task->comm, TerminalText::field),
                            owner.task->task, owner.stack_base, owner.stack_base + owner.stack_size,
                            owner.stack_base + owner.stack_size - owner.address);
    } else if (owner.kind == "vmalloc") {
        text += "vmalloc area\n";
    } else if (owner.kind == "page struct" && owner.page) {
        text += fmt::format("struct page of PFN {:#x}\n", owner.page->pfn);
    } else if (owner.kind == "page") {
        text += "a page of the direct map\n";
    } else if (owner.kind == "user") {
        text += "a user-space address (kmem describes kernel addresses)\n";
    } else {
        text += "not in the image, a module, a per-CPU area, the direct map, a stack or a "
                "vmalloc area\n";
    }
    if (owner.vmalloc) {
        text += "  " + vmalloc_line(*owner.vmalloc, name) + "\n";
    }
    if (owner.page) {
        text += page_text(*owner.page);
    }
    return text;
}

std::string page_json(const kernel::PageInfo& page) {
    return dump_json(page_object(page));
}

std::string page_text(const kernel::PageInfo& page) {
    std::string flags = joined(page.flag_names, ",");
    if (!page.type.empty()) {
        flags += (flags.empty() ? "" : " ") + fmt::format("type={}", page.type);
    }
    if (page.head != page.page) {
        flags += (flags.empty() ? "" : " ") +
                 fmt::format("(tail of {:x}{})", page.head, page.slab ? ", a slab" : "");
    }
    return fmt::format("{:<16} {:>12} {:<16} {:>8} {:>4} {:>4}  FLAGS\n{:<16x} {:>12x} {:<16x} "
                       "{:>8x} {:>4} {:>4}  {:x} {}\n",
                       "PAGE", "PHYSICAL", "MAPPING", "INDEX", "CNT", "MAP", page.page,
                       page.pfn << 12, page.mapping, page.index, page.refcount, page.mapcount,
                       page.flags, flags);
}

std::string vmalloc_areas_json(const std::vector<kernel::VmallocArea>& areas,
                               const CodeNamer& name) {
    Json out = Json::array();
    for (const auto& area : areas) {
        out.push_back(vmalloc_object(area, name));
    }
    return dump_json(out);
}

std::string vmalloc_areas_text(const std::vector<kernel::VmallocArea>& areas,
                               const CodeNamer& name) {
    std::string text;
    for (const auto& area : areas) {
        text += vmalloc_line(area, name) + "\n";
    }
    return text;
}

} // namespace kdive::cli
