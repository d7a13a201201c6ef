// Each level takes granule_shift - 3 bits of the address (9, 11 or 13); level 3 resolves the
// page, a block descriptor (bit 1 clear) at a higher level ends the walk early.
#include "arch/aarch64/page_table_walker.hpp"

#include <algorithm>
#include <cstring>

namespace kdive::arch::aarch64 {

namespace {

constexpr std::uint64_t valid_bit = 1;
constexpr std::uint64_t table_bit = 2; // table below level 3, page at level 3
constexpr std::uint64_t chunk_bytes = 4096;

// Bits [high:low] set.
constexpr std::uint64_t bits(unsigned high, unsigned low) {
    const std::uint64_t upto =
        high >= 63 ? ~std::uint64_t{0} : (std::uint64_t{1} << (high + 1)) - 1;
    return upto & ~((std::uint64_t{1} << low) - 1);
}

} // namespace

unsigned TranslationRegime::granule_shift() const {
    switch (granule) {
    case 16384:
        return 14;
    case 65536:
        return 16;
    default:
        return 12;
    }
}

Result<> TranslationRegime::check() const {
    if (granule != 4096 && granule != 16384 && granule != 65536) {
        return fail_as(ErrorKind::unsupported, "translation granule {} is not 4K, 16K or 64K",
                       granule);
    }
    if (va_bits > 52 || va_bits <= granule_shift() || va_bits < 16) {
        return fail_as(ErrorKind::unsupported, "{}-bit virtual addresses cannot be translated",
                       va_bits);
    }
    // 52-bit VAs: FEAT_LVA with 64K, FEAT_LPA2 (TCR_EL1.DS) with 4K/16K.
    if (va_bits > 48 && granule != 65536 && !ds) {
        return fail_as(ErrorKind::unsupported,
                       "{}-bit virtual addresses with {} KiB pages need LPA2 (TCR_EL1.DS)", va_bits,
                       granule / 1024);
    }
    if (start_level() < (granule == 4096 && ds ? -1 : 0)) {
        return fail_as(ErrorKind::unsupported, "{}-bit virtual addresses need too many levels",
                       va_bits);
    }
    return {};
}

int TranslationRegime::start_level() const {
    const unsigned resolved = va_bits - granule_shift();
    const unsigned levels = (resolved + bits_per_level() - 1) / bits_per_level();
    return 4 - static_cast<int>(levels);
}

unsigned TranslationRegime::level_shift(int level) const {
    return granule_shift() + static_cast<unsigned>(3 - level) * bits_per_level();
}

std::uint64_t TranslationRegime::entries(int level) const {
    if (level == start_level()) {
        return std::uint64_t{1} << (va_bits - level_shift(level));
    }
    return std::uint64_t{1} << bits_per_level();
}

bool TranslationRegime::block_allowed(int level) const {
    if (level >= 3) {
        return false;
    }
    switch (granule) {
    case 4096: // 1 GiB at level 1, 2 MiB at level 2; 512 GiB at level 0 with LPA2
        return level >= (ds ? 0 : 1);
    case 16384: // 32 MiB at level 2; 64 GiB at level 1 with LPA2
        return level >= (ds ? 1 : 2);
    default: // 512 MiB at level 2; 4 TiB at level 1 with 52-bit physical addresses (LPA)
        return level >= (pa52 ? 1 : 2);
    }
}

std::uint64_t TranslationRegime::output_address(std::uint64_t descriptor) const {
    const unsigned shift = granule_shift();
    if (granule == 65536) {
        // FEAT_LPA keeps PA[51:48] in bits [15:12]; without it those bits are RES0.
        return (descriptor & bits(47, shift)) | (((descriptor >> 12) & 0xf) << 48);
    }
    if (ds) {
        // LPA2: PA[49:48] in place, PA[51:50] in bits [9:8] (the shareability field before).
        return (descriptor & bits(49, shift)) | (((descriptor >> 8) & 0x3) << 50);
    }
    return descriptor & bits(47, shift);
}

std::uint64_t TranslationRegime::table_from_ttbr(std::uint64_t ttbr) const {
    if (pa52 || ds) {
        // The table is at least 64-byte aligned here, so bits [5:2] are free for BADDR[51:48].
        return (ttbr & bits(47, 6)) | (((ttbr >> 2) & 0xf) << 48);
    }
    return ttbr & bits(47, 1);
}

Result<TranslationRegime> regime_from_tcr(std::uint64_t tcr, AddressHalf half) {
    TranslationRegime regime;
    const bool kernel = half == AddressHalf::kernel;
    const unsigned size_offset = (tcr >> (kernel ? Tcr::t1sz_shift : Tcr::t0sz_shift)) & 0x3f;
    const unsigned tg = (tcr >> (kernel ? Tcr::tg1_shift : Tcr::tg0_shift)) & 0x3;
    // TG1 and TG0 encode the granules differently.
    constexpr std::uint64_t tg1_granules[] = {0, 16384, 4096, 65536};
    constexpr std::uint64_t tg0_granules[] = {4096, 65536, 16384, 0};
    regime.granule = kernel ? tg1_granules[tg] : tg0_granules[tg];
    if (regime.granule == 0) {
        return fail_as(ErrorKind::unsupported, "TCR_EL1.{} is {:#04b}, a reserved granule",
                       kernel ? "TG1" : "TG0", tg);
    }
    regime.va_bits = 64 - size_offset;
    regime.pa52 = ((tcr >> Tcr::ips_shift) & 0x7) == 0b110;
    // DS only changes 4K and 16K descriptors.
    regime.ds = ((tcr >> Tcr::ds_bit) & 1) != 0 && regime.granule != 65536;
    if (auto ok = regime.check(); !ok) {
        return wrap(ok.error(), fmt::format("TCR_EL1 {:#x}, {}", tcr, ttbr_name(half)));
    }
    return regime;
}

bool walks_disabled(std::uint64_t tcr, AddressHalf half) {
    const unsigned bit = half == AddressHalf::kernel ? Tcr::epd1_bit : Tcr::epd0_bit;
    return ((tcr >> bit) & 1) != 0;
}

Result<std::uint64_t> PageTableWalker::descriptor(std::uint64_t table, int level,
                                                  std::uint64_t index) {
    const std::uint64_t count = regime_.entries(level);
    if (index >= count) {
        return fail("index {} is outside the level {} table at physical {:#x} ({} entries)", index,
                    level, table, count);
    }
    const std::uint64_t unit = std::min(count * 8, chunk_bytes);
    const std::uint64_t chunk = table + (index * 8) / unit * unit;
    auto found = chunks_.find(chunk);
    if (found == chunks_.end() || found->second.size() * 8 < unit) {
        auto bytes = memory_.read_physical(chunk, unit);
        if (!bytes) {
            return wrap(bytes.error(),
                        fmt::format("reading the level {} table at physical {:#x}", level, table));
        }
        std::vector<std::uint64_t> entries(unit / 8);
        // arm64 Linux runs little-endian, like the hosts kdive runs on.
        std::memcpy(entries.data(), bytes->data(), unit);
        found = chunks_.insert_or_assign(chunk, std::move(entries)).first;
    }
    return found->second[(index * 8 % unit) / 8];
}

Result<Translation> PageTableWalker::translate(std::uint64_t virtual_address) {
    if (auto ok = regime_.check(); !ok) {
        return std::unexpected(ok.error());
    }
    const AddressHalf half = half_of(virtual_address);
    // Bits [55:va_bits] must all equal bit 55; the top byte may be a tag.
    const std::uint64_t range_bits = bits(55, regime_.va_bits) & virtual_address;
    if (range_bits != (half == AddressHalf::kernel ? bits(55, regime_.va_bits) : 0)) {
        return fail_as(ErrorKind::unmapped, "{:#x} is outside the {}-bit range {} translates",
                       virtual_address, regime_.va_bits, ttbr_name(half));
    }
    Translation out;
    out.virtual_address = virtual_address;
    std::uint64_t table = root_;
    for (int level = regime_.start_level(); level <= 3; ++level) {
        const unsigned shift = regime_.level_shift(level);
        PageTableStep step;
        step.level = level;
        step.index =
            static_cast<unsigned>((virtual_address >> shift) & (regime_.entries(level) - 1));
        step.table = table;
        step.entry_address = table + 8ull * step.index;
        auto entry = descriptor(table, level, step.index);
        if (!entry) {
            return std::unexpected(entry.error());
        }
        step.entry = *entry;
        const bool present = (step.entry & valid_bit) != 0;
        const bool table_or_page = (step.entry & table_bit) != 0;
        step.block = present && !table_or_page && regime_.block_allowed(level);
        // Level 3 needs bit 1 set (a page; clear is reserved); above it, bit 1 clear is a block
        // only where this granule allows blocks.
        step.valid = present && (table_or_page || step.block);
        out.steps.push_back(step);
        if (!step.valid) {
            return out;
        }
        if (step.block || level == 3) {
            const std::uint64_t size = std::uint64_t{1} << shift;
            const std::uint64_t frame = regime_.output_address(step.entry) & ~(size - 1);
            out.physical = frame | (virtual_address & (size - 1));
            out.page_size = size;
            return out;
        }
        table = regime_.output_address(step.entry);
    }
    return out;
}

} // namespace kdive::arch::aarch64
