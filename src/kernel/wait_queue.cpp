// wait_queue_head.head links wait_queue_entry.entry; private and func are read with one read
// of each entry.
#include "kernel/wait_queue.hpp"

#include "kernel/list_walker.hpp"

namespace kdive::kernel {

Result<std::vector<WaitQueueEntry>> read_wait_queue(Kernel& kernel, std::uint64_t head) {
    auto head_layout = kernel.layout("wait_queue_head");
    auto entry_layout = kernel.layout("wait_queue_entry");
    if (!head_layout || !entry_layout) {
        return std::unexpected(!head_layout ? head_layout.error() : entry_layout.error());
    }
    auto list_at = (*head_layout)->offset("head");
    auto link = (*entry_layout)->offset("entry");
    auto owner = (*entry_layout)->require("private");
    auto function = (*entry_layout)->require("func");
    if (!list_at || !link || !owner || !function) {
        return fail("struct wait_queue_head/wait_queue_entry are not readable here");
    }
    ListWalk walk;
    walk.start = head + *list_at;
    walk.head = true;
    walk.link_offset = *link;
    walk.max_entries = 1'000'000;
    auto entries = walk_list(kernel, walk);
    if (!entries) {
        return wrap(entries.error(), fmt::format("the wait queue at {:#x}", head));
    }
    std::vector<WaitQueueEntry> out;
    for (const std::uint64_t entry : *entries) {
        auto record = kernel.read(entry, (*entry_layout)->size());
        if (!record) {
            return wrap(record.error(), fmt::format("reading wait_queue_entry {:#x}", entry));
        }
        out.push_back({entry, record->get(*owner), record->get(*function)});
    }
    return out;
}

} // namespace kdive::kernel
