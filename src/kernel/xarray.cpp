// An entry whose low two bits are 0b10 is internal: a node pointer above 4096, a sibling or
// retry marker below it. A node's slot i covers indices base + (i << shift).
#include "kernel/xarray.hpp"

#include "kernel/visited_nodes.hpp"

namespace kdive::kernel {

namespace {

constexpr std::size_t max_entries = 16'000'000;

bool is_internal(std::uint64_t entry) {
    return (entry & 3) == 2;
}

class XArrayWalker {
public:
    XArrayWalker(Kernel& kernel, std::uint64_t xarray)
        : kernel_(kernel), visited_(fmt::format("the xarray at {:#x}", xarray)) {}

    Result<> load() {
        auto layout = kernel_.layout("xa_node");
        if (!layout) {
            return std::unexpected(layout.error());
        }
        auto shift = (*layout)->require("shift");
        auto slots = (*layout)->require("slots");
        if (!shift || !slots) {
            return std::unexpected(!shift ? shift.error() : slots.error());
        }
        shift_at_ = shift->offset;
        slots_at_ = slots->offset;
        slot_count_ = slots->size / 8;
        if (slot_count_ == 0 || slot_count_ > 256) {
            return fail("struct xa_node has {} slots", slot_count_);
        }
        return {};
    }

    Result<> walk(std::uint64_t entry, std::uint64_t base, unsigned parent_shift) {
        const std::uint64_t node = entry - 2;
        if (auto ok = visited_.visit(node); !ok) {
            return ok;
        }
        auto record = kernel_.read(node, slots_at_ + 8 * slot_count_);
        if (!record) {
            return wrap(record.error(), fmt::format("reading xa_node {:#x}", node));
        }
        const unsigned shift = record->u8(shift_at_);
        if (shift >= parent_shift || shift >= 64) {
            return fail_as(ErrorKind::corrupt, "xa_node {:#x} has shift {} under shift {}", node,
                           shift, parent_shift);
        }
        for (std::uint64_t i = 0; i < slot_count_; ++i) {
            const std::uint64_t slot = record->u64(slots_at_ + 8 * i);
            const std::uint64_t index = base + (i << shift);
            if (slot == 0) {
                continue;
            }
            if (is_internal(slot)) {
                if (slot > 4096 && shift > 0) {
                    if (auto ok = walk(slot, index, shift); !ok) {
                        return ok;
                    }
                }
                continue; // sibling, retry or zero entry
            }
            if (entries_.size() >= max_entries) {
                return fail_as(ErrorKind::corrupt, "the xarray holds more than {} entries",
                               max_entries);
            }
            entries_.push_back(XArrayEntry{index, slot});
        }
        return {};
    }

    std::vector<XArrayEntry> take() { return std::move(entries_); }

private:
    Kernel& kernel_;
    VisitedNodes visited_;
    std::uint64_t shift_at_ = 0, slots_at_ = 0, slot_count_ = 0;
    std::vector<XArrayEntry> entries_;
};

} // namespace

Result<std::vector<XArrayEntry>> xarray_entries(Kernel& kernel, std::uint64_t xarray) {
    auto layout = kernel.layout("xarray");
    if (!layout) {
        return std::unexpected(layout.error());
    }
    auto head_at = (*layout)->offset("xa_head");
    if (!head_at) {
        return std::unexpected(head_at.error());
    }
    auto head = kernel.read_u64(xarray + *head_at);
    if (!head) {
        return wrap(head.error(), fmt::format("reading the head of the xarray at {:#x}", xarray));
    }
    if (*head == 0) {
        return std::vector<XArrayEntry>{};
    }
    if (!is_internal(*head)) {
        return std::vector<XArrayEntry>{XArrayEntry{0, *head}}; // one entry, at index 0
    }
    if (*head < 4096) {
        return std::vector<XArrayEntry>{};
    }
    XArrayWalker walker(kernel, xarray);
    if (auto ok = walker.load(); !ok) {
        return std::unexpected(ok.error());
    }
    if (auto ok = walker.walk(*head, 0, 64); !ok) {
        return std::unexpected(ok.error());
    }
    return walker.take();
}

} // namespace kdive::kernel
