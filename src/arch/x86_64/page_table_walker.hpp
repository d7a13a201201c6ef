// x86-64 page-table walks (4 and 5 levels) over guest-physical memory, one table page per read.
#pragma once

#include "arch/physical_reader.hpp"
#include "support/error.hpp"

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string_view>
#include <vector>

namespace kdive::arch::x86_64 {

struct PageTableStep {
    std::string_view level; // "PML5", "PML4", "PDPT", "PD", "PT"
    unsigned index = 0;
    std::uint64_t table = 0;         // physical address of the table page
    std::uint64_t entry_address = 0; // physical address of the entry
    std::uint64_t entry = 0;
    bool present = false;
    bool large = false; // PS: a 1 GiB or 2 MiB page ends the walk
};

struct Translation {
    std::uint64_t virtual_address = 0;
    std::vector<PageTableStep> steps;
    std::optional<std::uint64_t> physical; // nullopt when a level is not present
    std::uint64_t page_size = 0;
};

class PageTableWalker {
public:
    static constexpr std::uint64_t address_mask = 0x000ffffffffff000ull;

    // `root`: physical address of the top-level table (CR3 without PCID and flag bits).
    PageTableWalker(PhysicalReader& memory, std::uint64_t root, bool five_level)
        : memory_(memory), root_(root & address_mask), five_level_(five_level) {}

    // CR3 holds the PCID (bits 0-11) and the no-flush bit (63) beside the table address.
    static std::uint64_t root_from_cr3(std::uint64_t cr3) { return cr3 & address_mask; }
    // CR4.LA57 selects 5-level paging.
    static bool five_level_from_cr4(std::uint64_t cr4) { return (cr4 & (1u << 12)) != 0; }

    std::uint64_t root() const { return root_; }
    bool five_level() const { return five_level_; }

    Result<Translation> translate(std::uint64_t virtual_address);
    // A whole table page (512 entries), read once and kept for later walks.
    Result<const std::array<std::uint64_t, 512>*> table(std::uint64_t physical);

private:
    PhysicalReader& memory_;
    std::uint64_t root_;
    bool five_level_;
    std::map<std::uint64_t, std::array<std::uint64_t, 512>> tables_;
};

} // namespace kdive::arch::x86_64
