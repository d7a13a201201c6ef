// Each level takes 9 bits of the address; PS at PDPT/PD level maps a 1 GiB/2 MiB page.
#include "arch/x86_64/page_table_walker.hpp"

#include <cstring>

namespace kdive::arch::x86_64 {

namespace {

constexpr std::uint64_t present_bit = 1;
constexpr std::uint64_t page_size_bit = 1u << 7;

struct Level {
    std::string_view name;
    unsigned shift;
};

constexpr Level levels[] = {{"PML5", 48}, {"PML4", 39}, {"PDPT", 30}, {"PD", 21}, {"PT", 12}};

} // namespace

Result<const std::array<std::uint64_t, 512>*> PageTableWalker::table(std::uint64_t physical) {
    if (auto found = tables_.find(physical); found != tables_.end()) {
        return &found->second;
    }
    auto bytes = memory_.read_physical(physical, 4096);
    if (!bytes) {
        return wrap(bytes.error(),
                    fmt::format("reading the page table at physical {:#x}", physical));
    }
    std::array<std::uint64_t, 512> entries{};
    // x86 is little-endian like the host kdive runs on.
    std::memcpy(entries.data(), bytes->data(), 4096);
    return &tables_.emplace(physical, entries).first->second;
}

Result<Translation> PageTableWalker::translate(std::uint64_t virtual_address) {
    Translation out;
    out.virtual_address = virtual_address;
    std::uint64_t table_address = root_;
    for (std::size_t i = five_level_ ? 0 : 1; i < std::size(levels); ++i) {
        const Level& level = levels[i];
        auto entries = table(table_address);
        if (!entries) {
            return std::unexpected(entries.error());
        }
        PageTableStep step;
        step.level = level.name;
        step.index = static_cast<unsigned>((virtual_address >> level.shift) & 511);
        step.table = table_address;
        step.entry_address = table_address + 8ull * step.index;
        step.entry = (**entries)[step.index];
        step.present = (step.entry & present_bit) != 0;
        const bool can_be_large = level.shift == 30 || level.shift == 21;
        step.large = step.present && can_be_large && (step.entry & page_size_bit) != 0;
        out.steps.push_back(step);
        if (!step.present) {
            return out;
        }
        if (step.large || level.shift == 12) {
            const std::uint64_t size = std::uint64_t{1} << level.shift;
            const std::uint64_t frame = step.entry & address_mask & ~(size - 1);
            out.physical = frame | (virtual_address & (size - 1));
            out.page_size = size;
            return out;
        }
        table_address = step.entry & address_mask;
    }
    return out;
}

} // namespace kdive::arch::x86_64
