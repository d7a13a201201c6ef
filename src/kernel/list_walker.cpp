// One read per node: the next pointer is the first word of the list_head, hlist_node and
// llist_node alike, so the same walk serves all three.
#include "kernel/list_walker.hpp"

#include "kernel/visited_nodes.hpp"

namespace kdive::kernel {

Result<std::vector<std::uint64_t>> walk_list(Kernel& kernel, const ListWalk& walk) {
    std::vector<std::uint64_t> entries;
    const std::uint64_t stop = walk.head ? walk.start : walk.start + walk.link_offset;
    VisitedNodes visited(fmt::format("the list at {:#x}", walk.start));
    std::uint64_t node = walk.head ? walk.start : walk.start + walk.link_offset;
    if (!walk.head && walk.max_entries > 0) {
        entries.push_back(walk.start);
        (void)visited.visit(node);
    }
    while (true) {
        auto next = kernel.read_u64(node);
        if (!next) {
            return wrap(next.error(), fmt::format("reading the next pointer at {:#x} (entry {})",
                                                  node, entries.size()));
        }
        if (*next == stop || *next == 0) {
            return entries;
        }
        if (auto ok = visited.visit(*next); !ok) {
            return std::unexpected(ok.error());
        }
        if (entries.size() >= walk.max_entries) {
            if (walk.stop_at_max) {
                return entries;
            }
            return fail_as(ErrorKind::corrupt, "the list at {:#x} has more than {} entries",
                           walk.start, walk.max_entries);
        }
        entries.push_back(*next - walk.link_offset);
        node = *next;
    }
}

} // namespace kdive::kernel
