// An encoded node pointer carries its type in bits 3-6 and is a node when its low two bits are
// 0b10 (xa_is_node); the node is the pointer with the low byte cleared. A slot's range ends at
// its pivot, the last slot's at the node's own maximum; a zero pivot past the first slot, or a
// pivot reaching the maximum, ends the node's data.
#include "kernel/maple_tree.hpp"

#include "kernel/visited_nodes.hpp"

namespace kdive::kernel {

namespace {

enum MapleType : unsigned { maple_dense, maple_leaf_64, maple_range_64, maple_arange_64 };
constexpr std::uint64_t node_mask = 0xff;
constexpr std::size_t max_depth = 64;
constexpr std::size_t max_entries = 16'000'000;

bool is_node(std::uint64_t entry) {
    return (entry & 3) == 2 && entry > 4096;
}

struct NodeShape {
    std::uint64_t pivots = 0, slots = 0; // offsets in the node
    std::uint64_t pivot_count = 0, slot_count = 0;
};

class MapleWalker {
public:
    explicit MapleWalker(Kernel& kernel, std::uint64_t tree)
        : kernel_(kernel), visited_(fmt::format("the maple tree at {:#x}", tree)) {}

    Result<> load() {
        for (auto [name, into] :
             {std::pair{"maple_range_64", &range_}, {"maple_arange_64", &arange_}}) {
            auto layout = kernel_.layout(name);
            if (!layout) {
                return std::unexpected(layout.error());
            }
            auto pivot = (*layout)->require("pivot");
            auto slot = (*layout)->require("slot");
            if (!pivot || !slot) {
                return std::unexpected(!pivot ? pivot.error() : slot.error());
            }
            *into = NodeShape{pivot->offset, slot->offset, pivot->size / 8, slot->size / 8};
        }
        return {};
    }

    Result<> walk(std::uint64_t entry, std::uint64_t min, std::uint64_t max, std::size_t depth) {
        if (depth > max_depth) {
            return fail_as(ErrorKind::corrupt, "maple node {:#x} is deeper than {} levels", entry,
                           max_depth);
        }
        const unsigned type = (entry >> 3) & 0xf;
        const std::uint64_t node = entry & ~node_mask;
        if (type == maple_dense || type > maple_arange_64) {
            return fail_as(ErrorKind::corrupt, "maple node {:#x} has type {}, not a range node",
                           entry, type);
        }
        if (auto ok = visited_.visit(node); !ok) {
            return ok;
        }
        const NodeShape& shape = type == maple_arange_64 ? arange_ : range_;
        auto record = kernel_.read(node, shape.slots + 8 * shape.slot_count);
        if (!record) {
            return wrap(record.error(), fmt::format("reading maple node {:#x}", node));
        }
        std::uint64_t first = min;
        for (std::uint64_t i = 0; i < shape.slot_count; ++i) {
            std::uint64_t last = max;
            if (i < shape.pivot_count) {
                const std::uint64_t pivot = record->u64(shape.pivots + 8 * i);
                if (pivot == 0 && i > 0) {
                    break;
                }
                last = pivot < max ? pivot : max;
            }
            if (last < first) {
                return fail_as(ErrorKind::corrupt,
                               "maple node {:#x}: pivot {} ({:#x}) runs backwards", node, i, last);
            }
            const std::uint64_t slot = record->u64(shape.slots + 8 * i);
            if (slot != 0) {
                if (type == maple_leaf_64) {
                    if (entries_.size() >= max_entries) {
                        return fail_as(ErrorKind::corrupt,
                                       "the maple tree holds more than {} entries", max_entries);
                    }
                    entries_.push_back(MapleEntry{first, last, slot});
                } else if (auto ok = walk(slot, first, last, depth + 1); !ok) {
                    return ok;
                }
            }
            if (last >= max) {
                break;
            }
            first = last + 1;
        }
        return {};
    }

    std::vector<MapleEntry> take() { return std::move(entries_); }

private:
    Kernel& kernel_;
    VisitedNodes visited_;
    NodeShape range_, arange_;
    std::vector<MapleEntry> entries_;
};

} // namespace

Result<std::vector<MapleEntry>> maple_tree_entries(Kernel& kernel, std::uint64_t tree) {
    auto layout = kernel.layout("maple_tree");
    if (!layout) {
        return std::unexpected(layout.error());
    }
    auto root_at = (*layout)->offset("ma_root");
    if (!root_at) {
        return std::unexpected(root_at.error());
    }
    auto root = kernel.read_u64(tree + *root_at);
    if (!root) {
        return wrap(root.error(), fmt::format("reading the root of the maple tree at {:#x}", tree));
    }
    if (*root == 0) {
        return std::vector<MapleEntry>{};
    }
    if (!is_node(*root)) {
        return std::vector<MapleEntry>{MapleEntry{0, 0, *root}}; // a single entry at index 0
    }
    MapleWalker walker(kernel, tree);
    if (auto ok = walker.load(); !ok) {
        return std::unexpected(ok.error());
    }
    if (auto ok = walker.walk(*root, 0, ~std::uint64_t{0}, 0); !ok) {
        return std::unexpected(ok.error());
    }
    return walker.take();
}

} // namespace kdive::kernel
