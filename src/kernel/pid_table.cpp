// The pid IDR is a radix tree over struct xarray (lib/xarray.c): an internal entry (low bits
// 10, above 4096) points at a struct xa_node whose `slots` hold children; plain aligned
// pointers are the stored struct pid. A pid's tasks[PIDTYPE_PID].first is the hlist_node
// task_struct.pid_links[PIDTYPE_PID] of the task using it.
#include "kernel/pid_table.hpp"

#include <cstring>
#include <map>

namespace kdive::kernel {

namespace {

// An xarray of pids is a handful of levels deep; more is a corrupt tree.
constexpr int max_levels = 12;
constexpr std::size_t max_entries = 4'000'000;

bool is_node(std::uint64_t entry) {
    return (entry & 3) == 2 && entry > 4096;
}
bool is_pointer(std::uint64_t entry) {
    return entry != 0 && (entry & 3) == 0;
}

} // namespace

Result<PidTableLayout> pid_table_layout(Kernel& kernel) {
    auto pid_ns = kernel.layout("pid_namespace");
    auto xarray = kernel.layout("xarray");
    auto node = kernel.layout("xa_node");
    auto pid = kernel.layout("pid");
    auto task = kernel.layout("task_struct");
    for (const auto* layout : {&pid_ns, &xarray, &node, &pid, &task}) {
        if (!*layout) {
            return fail("no pid table to read: {}", layout->error().message);
        }
    }
    auto idr = (*pid_ns)->offset("idr.idr_rt");
    auto head = (*xarray)->offset("xa_head");
    auto slots = (*node)->require("slots");
    auto tasks = (*pid)->offset("tasks");
    auto links = (*task)->offset("pid_links");
    if (!idr || !head || !slots || !tasks || !links) {
        return fail("unexpected pid table layout");
    }
    return PidTableLayout{*idr + *head, slots->offset, slots->size / 8, *tasks, *links};
}

Result<std::vector<std::uint64_t>> tasks_from_pid_table(eval::MemoryReader& memory,
                                                        std::uint64_t init_pid_ns,
                                                        const PidTableLayout& layout) {
    auto head_bytes = memory.read(init_pid_ns + layout.head, 8);
    if (!head_bytes) {
        return wrap(head_bytes.error(), "reading init_pid_ns.idr");
    }
    const std::uint64_t head = Record(std::move(*head_bytes)).u64(0);
    std::vector<std::uint64_t> pids;
    std::vector<std::uint64_t> level;
    if (is_node(head)) {
        level.push_back(head - 2);
    } else if (is_pointer(head)) {
        pids.push_back(head);
    }
    for (int depth = 0; !level.empty(); ++depth) {
        if (depth == max_levels) {
            return fail("init_pid_ns.idr is deeper than {} levels", max_levels);
        }
        std::vector<eval::ReadRange> ranges;
        ranges.reserve(level.size());
        for (std::uint64_t at : level) {
            ranges.push_back({at + layout.slots, layout.slot_count * 8});
        }
        auto read = memory.read_many(ranges);
        if (!read) {
            return wrap(read.error(), "reading the pid table's nodes");
        }
        std::vector<std::uint64_t> next;
        for (auto& bytes : *read) {
            Record record(std::move(bytes));
            for (std::size_t i = 0; i < layout.slot_count; ++i) {
                const std::uint64_t entry = record.u64(8 * i);
                if (is_node(entry)) {
                    next.push_back(entry - 2);
                } else if (is_pointer(entry)) {
                    pids.push_back(entry);
                }
            }
        }
        if (pids.size() + next.size() > max_entries) {
            return fail("init_pid_ns.idr holds more than {} entries", max_entries);
        }
        level = std::move(next);
    }

    // struct pids are small and packed into slab pages: where several share a page, reading the
    // page (two packets) is cheaper than a packet for each.
    constexpr std::uint64_t page = 4096;
    std::map<std::uint64_t, std::size_t> per_page;
    for (std::uint64_t at : pids) {
        ++per_page[(at + layout.pid_tasks) & ~(page - 1)];
    }
    std::vector<eval::ReadRange> ranges;
    std::map<std::uint64_t, std::size_t> index; // range start → its position in `ranges`
    for (std::uint64_t at : pids) {
        const std::uint64_t field = at + layout.pid_tasks;
        const std::uint64_t start = field & ~(page - 1);
        const bool whole_page = per_page[start] >= 4 && field + 8 <= start + page;
        const eval::ReadRange range =
            whole_page ? eval::ReadRange{start, page} : eval::ReadRange{field, 8};
        if (index.try_emplace(range.address, ranges.size()).second) {
            ranges.push_back(range);
        }
    }
    auto read = memory.read_many(ranges);
    if (!read) {
        return wrap(read.error(), "reading struct pid's tasks");
    }
    std::vector<std::uint64_t> out;
    out.reserve(pids.size());
    for (std::uint64_t at : pids) {
        const std::uint64_t field = at + layout.pid_tasks;
        // The range holding the field: its own, or its page's.
        auto holder = index.upper_bound(field);
        if (holder == index.begin()) {
            continue;
        }
        --holder;
        const auto& bytes = (*read)[holder->second];
        const std::uint64_t offset = field - holder->first;
        if (offset + 8 > bytes.size()) {
            continue;
        }
        std::uint64_t first = 0;
        std::memcpy(&first, bytes.data() + offset, 8);
        if (first != 0) { // a pid no task uses any more (a dead process group's id)
            out.push_back(first - layout.task_pid_links);
        }
    }
    return out;
}

Result<std::vector<std::uint64_t>> tasks_from_pid_table(Kernel& kernel) {
    auto layout = pid_table_layout(kernel);
    if (!layout) {
        return std::unexpected(layout.error());
    }
    auto ns = kernel.address_of("init_pid_ns");
    if (!ns) {
        return std::unexpected(ns.error());
    }
    return tasks_from_pid_table(kernel.memory(), *ns, *layout);
}

} // namespace kdive::kernel
