// Addresses are "0x…" strings in JSON, sizes plain numbers; guest names go through json_text or
// terminal_text where they are placed.
#include "cli/memory_output.hpp"

#include "support/guest_text.hpp"
#include "support/hex_text.hpp"

#include <fmt/core.h>
#include <nlohmann/json.hpp>

namespace kdive::cli {

namespace {

using Json = nlohmann::json;

std::uint64_t total_vm(const kernel::AddressSpace& space) {
    std::uint64_t total = 0;
    for (const auto& mapping : space.mappings) {
        total += mapping.end - mapping.start;
    }
    return total;
}

// crash's SSIZE column: the slab's size in KiB, "8k".
std::string slab_size(const kernel::SlabCache& cache) {
    return fmt::format("{}k", cache.pages_per_slab * 4);
}

} // namespace

std::string slab_caches_json(const std::vector<kernel::SlabCache>& caches) {
    Json out = Json::array();
    for (const auto& cache : caches) {
        out.push_back({{"name", json_text(cache.name)},
                       {"address", hex(cache.address)},
                       {"object_size", cache.object_size},
                       {"size", cache.size},
                       {"objects", cache.objects},
                       {"active_objects", cache.active_objects},
                       {"slabs", cache.slabs},
                       {"objects_per_slab", cache.objects_per_slab},
                       {"pages_per_slab", cache.pages_per_slab}});
    }
    return dump_json(out);
}

std::string slab_caches_text(const std::vector<kernel::SlabCache>& caches) {
    std::string out = fmt::format("{:<18} {:>7} {:>9} {:>9} {:>7} {:>5}  {}\n", "CACHE", "OBJSIZE",
                                  "ALLOCATED", "TOTAL", "SLABS", "SSIZE", "NAME");
    for (const auto& cache : caches) {
        out += fmt::format("{:<18x} {:>7} {:>9} {:>9} {:>7} {:>5}  {}\n", cache.address, cache.size,
                           cache.active_objects, cache.objects, cache.slabs, slab_size(cache),
                           terminal_text(cache.name, TerminalText::field));
    }
    return out;
}

std::string memory_stats_json(const kernel::MemoryStats& stats) {
    Json zones = Json::array();
    for (const auto& zone : stats.zones) {
        zones.push_back({{"node", zone.node},
                         {"name", json_text(zone.name)},
                         {"present", zone.present},
                         {"managed", zone.managed},
                         {"free", zone.free}});
    }
    return dump_json(Json{{"total", stats.total},
                          {"free", stats.free},
                          {"available", stats.available},
                          {"buffers", stats.buffers},
                          {"cached", stats.cached},
                          {"slab", stats.slab},
                          {"page_tables", stats.page_tables},
                          {"zones", zones}});
}

std::string memory_stats_text(const kernel::MemoryStats& stats) {
    std::string out =
        fmt::format("{:>14} {:>12} {:>12} {:>11}\n", "", "PAGES", "TOTAL", "PERCENTAGE");
    const auto row = [&](std::string_view name, std::uint64_t bytes) {
        const double percent = stats.total == 0 ? 0.0
                                                : 100.0 * static_cast<double>(bytes) /
                                                      static_cast<double>(stats.total);
        out += fmt::format("{:>14} {:>12} {:>11}k {:>10.1f}%\n", name, bytes / 4096, bytes / 1024,
                           percent);
    };
    row("TOTAL MEM", stats.total);
    row("FREE", stats.free);
    row("AVAILABLE", stats.available);
    row("BUFFERS", stats.buffers);
    row("CACHED", stats.cached);
    row("SLAB", stats.slab);
    row("PAGE TABLES", stats.page_tables);
    for (const auto& zone : stats.zones) {
        out += fmt::format("\nNODE {} ZONE {}: present {}k, managed {}k, free {}k", zone.node,
                           terminal_text(zone.name, TerminalText::field), zone.present / 1024,
                           zone.managed / 1024, zone.free / 1024);
    }
    return out + "\n";
}

std::string open_files_json(const std::vector<kernel::OpenFile>& files) {
    Json out = Json::array();
    for (const auto& file : files) {
        out.push_back({{"fd", file.fd},
                       {"path", json_text(file.path)},
                       {"flags", file.flags},
                       {"file", hex(file.file)},
                       {"inode", file.inode == 0 ? Json() : Json(hex(file.inode))},
                       {"type", std::string(kernel::inode_type(file.inode_mode))},
                       {"operations", file.operations.empty() ? Json() : Json(file.operations)}});
    }
    return dump_json(out);
}

std::string open_files_text(const kernel::TaskInfo& task,
                            const std::vector<kernel::OpenFile>& files) {
    std::string out = fmt::format("PID: {:<7} TASK: {:x}  COMMAND: \"{}\"\n", task.pid, task.task,
                                  terminal_text(task.comm, TerminalText::field));
    out += fmt::format("{:>4} {:<18} {:<18} {:<4} {:>8} {:<22} {}\n", "FD", "FILE", "INODE", "TYPE",
                       "FLAGS", "OPERATIONS", "PATH");
    for (const auto& file : files) {
        out += fmt::format("{:>4} {:<18x} {:<18x} {:<4} {:>8o} {:<22} {}\n", file.fd, file.file,
                           file.inode, kernel::inode_type(file.inode_mode), file.flags,
                           file.operations.empty() ? "-" : file.operations,
                           terminal_text(file.path, TerminalText::field));
    }
    return out;
}

std::string address_space_json(const kernel::AddressSpace& space) {
    Json out = Json::array();
    for (const auto& mapping : space.mappings) {
        out.push_back({{"start", hex(mapping.start)},
                       {"end", hex(mapping.end)},
                       {"flags", kernel::mapping_permissions(mapping.flags)},
                       {"vm_flags", hex(mapping.flags)},
                       {"pgoff", mapping.offset},
                       {"file", mapping.file == 0 ? Json() : Json(json_text(mapping.name))},
                       {"name", json_text(mapping.name)},
                       {"vma", hex(mapping.vma)}});
    }
    return dump_json(out);
}

std::string rss_json(const kernel::AddressSpace& space) {
    return dump_json(Json{{"mm", space.mm == 0 ? Json() : Json(hex(space.mm))},
                          {"rss", space.rss_bytes()},
                          {"total_vm", total_vm(space)},
                          {"file_pages", space.file_pages},
                          {"anon_pages", space.anon_pages},
                          {"shmem_pages", space.shmem_pages}});
}

std::string address_space_text(const kernel::TaskInfo& task, const kernel::AddressSpace& space) {
    std::string out = fmt::format("PID: {:<7} TASK: {:x}  COMMAND: \"{}\"\n", task.pid, task.task,
                                  terminal_text(task.comm, TerminalText::field));
    if (space.mm == 0) {
        return out + "no mm: a kernel thread\n";
    }
    out += fmt::format("MM: {:x}  RSS: {}k  TOTAL_VM: {}k\n", space.mm, space.rss_bytes() / 1024,
                       total_vm(space) / 1024);
    out += fmt::format("{:<18} {:<16} {:<16} {:<4} {:>8} {}\n", "VMA", "START", "END", "PERM",
                       "OFFSET", "NAME");
    for (const auto& mapping : space.mappings) {
        out += fmt::format("{:<18x} {:<16x} {:<16x} {:<4} {:>8x} {}\n", mapping.vma, mapping.start,
                           mapping.end, kernel::mapping_permissions(mapping.flags), mapping.offset,
                           terminal_text(mapping.name, TerminalText::field));
    }
    return out;
}

} // namespace kdive::cli
