// arm64 stage-1 translation-table walks over guest-physical memory: 4K, 16K and 64K granules,
// 39- to 52-bit virtual addresses (LPA with 64K, LPA2 with 4K/16K), blocks and pages.
#pragma once

#include "arch/physical_reader.hpp"
#include "support/error.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string_view>
#include <vector>

namespace kdive::arch::aarch64 {

// The two halves of the address space: TTBR0_EL1 translates user addresses, TTBR1_EL1 kernel
// ones. Bit 55 decides, so that a tag in the top byte (bits [63:56]) does not change the half.
enum class AddressHalf : std::uint8_t { user, kernel };

inline AddressHalf half_of(std::uint64_t address) {
    return ((address >> 55) & 1) != 0 ? AddressHalf::kernel : AddressHalf::user;
}

// The register that holds a half's table base: "TTBR1_EL1" (kernel) or "TTBR0_EL1".
inline std::string_view ttbr_name(AddressHalf half) {
    return half == AddressHalf::kernel ? "TTBR1_EL1" : "TTBR0_EL1";
}

// How one half is translated: what TCR_EL1 says about it.
struct TranslationRegime {
    std::uint64_t granule = 4096; // 4096, 16384 or 65536 bytes
    unsigned va_bits = 48;        // 64 - TnSZ
    // TCR_EL1.DS (FEAT_LPA2): 4K/16K descriptors hold output address bits [49:48] in place and
    // [51:50] in bits [9:8]; a 4K walk may start at level -1 and blocks sit one level higher.
    bool ds = false;
    // 52-bit physical addresses (TCR_EL1.IPS 0b110): TTBR bits [5:2] hold BADDR[51:48]; a 64K
    // walk may end in a 4 TiB block at level 1.
    bool pa52 = false;

    bool operator==(const TranslationRegime&) const = default;

    // Whether the hardware could walk this: a known granule, and VA bits its levels can cover.
    Result<> check() const;
    unsigned granule_shift() const;
    unsigned bits_per_level() const { return granule_shift() - 3; }
    // The level the walk starts at: -1 (4K, 52 bits, LPA2) to 3.
    int start_level() const;
    // The lowest address bit `level` indexes with; a block at `level` maps 1 << level_shift.
    unsigned level_shift(int level) const;
    // Entries in a table at `level` (the starting one may have fewer than a full page's).
    std::uint64_t entries(int level) const;
    bool block_allowed(int level) const;
    // The next table's, the block's or the page's physical address held by a descriptor.
    std::uint64_t output_address(std::uint64_t descriptor) const;
    // The starting table's physical address held by a TTBR: without the ASID (bits [63:48]) and
    // CnP (bit 0), with BADDR[51:48] moved back from bits [5:2] under 52-bit physical addresses.
    std::uint64_t table_from_ttbr(std::uint64_t ttbr) const;
};

// TCR_EL1 fields: T0SZ [5:0], EPD0 7, TG0 [15:14], T1SZ [21:16], EPD1 23, TG1 [31:30],
// IPS [34:32], DS 59.
struct Tcr {
    static constexpr unsigned t0sz_shift = 0, epd0_bit = 7, tg0_shift = 14;
    static constexpr unsigned t1sz_shift = 16, epd1_bit = 23, tg1_shift = 30;
    static constexpr unsigned ips_shift = 32, ds_bit = 59;
};

// The regime TCR_EL1 sets for one half; an error for a reserved granule encoding or a size the
// walk cannot cover.
Result<TranslationRegime> regime_from_tcr(std::uint64_t tcr, AddressHalf half);
// TCR_EL1.EPD0/EPD1: walks for that half are disabled (every address faults).
bool walks_disabled(std::uint64_t tcr, AddressHalf half);
// SCTLR_EL1.M: stage-1 translation is on; off, virtual addresses are physical.
inline bool mmu_enabled(std::uint64_t sctlr) {
    return (sctlr & 1) != 0;
}

struct PageTableStep {
    int level = 0; // -1 to 3
    unsigned index = 0;
    std::uint64_t table = 0;         // physical address of the table
    std::uint64_t entry_address = 0; // physical address of the descriptor
    std::uint64_t entry = 0;
    // Bit 0 is set and the type is one this level allows (a block where blocks may be, a page
    // at level 3): what the hardware would use rather than fault on.
    bool valid = false;
    bool block = false; // a block descriptor ends the walk before level 3
};

struct Translation {
    std::uint64_t virtual_address = 0;
    std::vector<PageTableStep> steps;
    std::optional<std::uint64_t> physical; // nullopt when a descriptor is not valid
    std::uint64_t page_size = 0;           // the granule, or the block's size
};

class PageTableWalker {
public:
    // `root`: physical address of the starting level's table (a TTBR through table_from_ttbr,
    // or the physical address of swapper_pg_dir).
    PageTableWalker(PhysicalReader& memory, std::uint64_t root, const TranslationRegime& regime)
        : memory_(memory), root_(root), regime_(regime) {}

    std::uint64_t root() const { return root_; }
    const TranslationRegime& regime() const { return regime_; }

    // The walk, step by step. An address outside the half's VA range (bits [55:va_bits] not
    // all equal to bit 55) is an error of kind unmapped; an impossible regime, unsupported.
    Result<Translation> translate(std::uint64_t virtual_address);
    // One descriptor of a table at `level`. Tables are read 4 KiB (or the whole smaller table)
    // at a time and kept for later walks.
    Result<std::uint64_t> descriptor(std::uint64_t table, int level, std::uint64_t index);

private:
    PhysicalReader& memory_;
    std::uint64_t root_;
    TranslationRegime regime_;
    std::map<std::uint64_t, std::vector<std::uint64_t>> chunks_; // by physical address
};

} // namespace kdive::arch::aarch64
