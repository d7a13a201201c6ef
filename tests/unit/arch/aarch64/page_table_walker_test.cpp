// arm64 table walks over fake physical memory: 4K/48 and 4K/39, 16K/47 and 16K/48, 64K/42,
// blocks and pages, 52-bit output addresses (LPA2, LPA), TTBR and TCR decoding, bad descriptors.
#include "arch/aarch64/page_table_walker.hpp"
#include "region_memory.hpp"

#include <gtest/gtest.h>

namespace kdive::arch::aarch64 {
// Named rather than anonymous: a unity build compiles this file with its siblings.
namespace page_table_walker_test {

using testing::RegionMemory;

constexpr std::uint64_t valid = 1, table_or_page = 2;
constexpr std::uint64_t access_flag = 1u << 10, uxn = 1ull << 54, pxn = 1ull << 53;
constexpr std::uint64_t page_bits = valid | table_or_page | access_flag | uxn;
constexpr std::uint64_t block_bits = valid | access_flag | uxn | pxn;

TranslationRegime regime(std::uint64_t granule, unsigned va_bits, bool ds = false,
                         bool pa52 = false) {
    TranslationRegime r;
    r.granule = granule;
    r.va_bits = va_bits;
    r.ds = ds;
    r.pa52 = pa52;
    return r;
}

// Synthetic tables: each level's table gets one descriptor on the path of `va`.
struct Tables {
    RegionMemory memory;
    TranslationRegime r;
    std::uint64_t va = 0;

    void table(std::uint64_t at, int level) { memory.region(at, r.entries(level) * 8); }
    std::uint64_t index(int level) const {
        return (va >> r.level_shift(level)) & (r.entries(level) - 1);
    }
    void entry(std::uint64_t table_at, int level, std::uint64_t descriptor) {
        memory.put_value(table_at + 8 * index(level), descriptor);
    }
};

TEST(Aarch64Regime, LevelsFollowFromGranuleAndVaBits) {
    struct Case {
        std::uint64_t granule;
        unsigned va_bits;
        bool ds;
        int start;
        std::uint64_t top_entries;
    };
    const Case cases[] = {
        {4096, 39, false, 1, 512},   {4096, 48, false, 0, 512}, {4096, 52, true, -1, 16},
        {16384, 47, false, 1, 2048}, {16384, 48, false, 0, 2},  {16384, 52, true, 0, 32},
        {65536, 42, false, 2, 8192}, {65536, 48, false, 1, 64}, {65536, 52, false, 1, 1024},
    };
    for (const Case& c : cases) {
        const auto r = regime(c.granule, c.va_bits, c.ds);
        SCOPED_TRACE(fmt::format("{}/{}", c.granule, c.va_bits));
        EXPECT_TRUE(r.check());
        EXPECT_EQ(r.start_level(), c.start);
        EXPECT_EQ(r.entries(c.start), c.top_entries);
    }
    // Block sizes: 1G/2M (4K), 32M (16K), 512M (64K); one level higher with LPA2/LPA.
    EXPECT_EQ(regime(4096, 48).level_shift(1), 30u);
    EXPECT_EQ(regime(4096, 48).level_shift(2), 21u);
    EXPECT_EQ(regime(16384, 47).level_shift(2), 25u);
    EXPECT_EQ(regime(16384, 52, true).level_shift(1), 36u);
    EXPECT_EQ(regime(65536, 42).level_shift(2), 29u);
    EXPECT_EQ(regime(65536, 52, false, true).level_shift(1), 42u);
    EXPECT_FALSE(regime(4096, 48).block_allowed(0));
    EXPECT_TRUE(regime(4096, 52, true).block_allowed(0));
    EXPECT_FALSE(regime(16384, 47).block_allowed(1));
    EXPECT_TRUE(regime(16384, 52, true).block_allowed(1));
    EXPECT_FALSE(regime(65536, 48).block_allowed(1));
    EXPECT_TRUE(regime(65536, 52, false, true).block_allowed(1));
    EXPECT_FALSE(regime(4096, 48).block_allowed(3));

    EXPECT_FALSE(regime(4096, 52).check()); // 52 bits with 4K need LPA2
    EXPECT_FALSE(regime(8192, 48).check());
    EXPECT_FALSE(regime(4096, 53, true).check());
}

TEST(Aarch64Regime, FromTcr) {
    // Linux 4K/48: T0SZ = T1SZ = 16, TG0 = 0b00 (4K), TG1 = 0b10 (4K), IPS = 0b101 (48 bits).
    const std::uint64_t tcr4k = 16 | (16u << 16) | (0b10ull << 30) | (0b101ull << 32);
    auto kernel = regime_from_tcr(tcr4k, AddressHalf::kernel);
    ASSERT_TRUE(kernel) << kernel.error().message;
    EXPECT_EQ(*kernel, regime(4096, 48));
    auto user = regime_from_tcr(tcr4k, AddressHalf::user);
    ASSERT_TRUE(user);
    EXPECT_EQ(*user, regime(4096, 48));

    // 64K/42 kernel half, 16K/47 user half: the two TG fields encode granules differently.
    const std::uint64_t mixed = 17 | (0b10ull << 14) | (22u << 16) | (0b11ull << 30);
    EXPECT_EQ(regime_from_tcr(mixed, AddressHalf::kernel).value(), regime(65536, 42));
    EXPECT_EQ(regime_from_tcr(mixed, AddressHalf::user).value(), regime(16384, 47));
    const std::uint64_t user64k = 16 | (0b01ull << 14) | (16u << 16) | (0b01ull << 30);
    EXPECT_EQ(regime_from_tcr(user64k, AddressHalf::user).value(), regime(65536, 48));
    EXPECT_EQ(regime_from_tcr(user64k, AddressHalf::kernel).value(), regime(16384, 48));

    // 4K/52 with DS and IPS = 0b110 (52 bits).
    const std::uint64_t lpa2 =
        12 | (12u << 16) | (0b10ull << 30) | (0b110ull << 32) | (1ull << Tcr::ds_bit);
    EXPECT_EQ(regime_from_tcr(lpa2, AddressHalf::kernel).value(), regime(4096, 52, true, true));

    // TG1 = 0b00 is reserved; so is 4K/52 without DS.
    auto reserved = regime_from_tcr(16u << 16, AddressHalf::kernel);
    ASSERT_FALSE(reserved);
    EXPECT_NE(reserved.error().message.find("TG1"), std::string::npos);
    EXPECT_FALSE(regime_from_tcr(12u << 16 | (0b10ull << 30), AddressHalf::kernel));

    EXPECT_TRUE(walks_disabled(1u << 23, AddressHalf::kernel));
    EXPECT_FALSE(walks_disabled(1u << 23, AddressHalf::user));
    EXPECT_TRUE(walks_disabled(1u << 7, AddressHalf::user));
}

TEST(Aarch64Regime, TtbrLosesAsidAndCnp) {
    const auto r48 = regime(4096, 48);
    EXPECT_EQ(r48.table_from_ttbr(0xabcd000041f5b000ull | 1), 0x41f5b000u);
    // A 16-byte top table (16K/48) may sit at any 16-byte boundary.
    EXPECT_EQ(regime(16384, 48).table_from_ttbr(0x0001000041f5b010ull), 0x41f5b010u);
    // 52-bit physical addresses: BADDR[51:48] in TTBR bits [5:2].
    const std::uint64_t table = 0x000a'0000'4000'0040ull;
    const std::uint64_t ttbr =
        (0x42ull << 48) | (table & 0x0000ffffffffffc0ull) | ((table >> 48) << 2) | 1;
    EXPECT_EQ(regime(65536, 52, false, true).table_from_ttbr(ttbr), table);
    EXPECT_EQ(regime(4096, 52, true, true).table_from_ttbr(ttbr), table);
    EXPECT_EQ(half_of(0xffff800008000000ull), AddressHalf::kernel);
    EXPECT_EQ(half_of(0x0000ffffa0000000ull), AddressHalf::user);
    EXPECT_EQ(half_of(0xf4ff800008000000ull), AddressHalf::kernel); // tagged
    EXPECT_EQ(half_of(0x2a00ffffa0000000ull), AddressHalf::user);   // tagged
}

TEST(Aarch64Walker, FourKiB48BitsFourLevelsToPageAndBlock) {
    Tables t;
    t.r = regime(4096, 48);
    t.va = 0xffff800008123456ull;
    for (auto [at, level] :
         {std::pair{0x10000ull, 0}, {0x11000ull, 1}, {0x12000ull, 2}, {0x13000ull, 3}}) {
        t.table(at, level);
    }
    t.entry(0x10000, 0, 0x11000 | valid | table_or_page);
    t.entry(0x11000, 1, 0x12000 | valid | table_or_page);
    t.entry(0x12000, 2, 0x13000 | valid | table_or_page);
    t.entry(0x13000, 3, 0x40abc000 | page_bits | (1u << 11)); // nG
    // A 2 MiB block at level 2, two slots on in the same level-2 table.
    const std::uint64_t block_va = t.va + (2u << 21);
    t.memory.put_value(0x12000 + 8 * ((block_va >> 21) & 511), 0x40200000 | block_bits);
    PageTableWalker walker(t.memory, t.r.table_from_ttbr(0x0005000000010000ull | 1), t.r);
    auto page = walker.translate(t.va);
    ASSERT_TRUE(page) << page.error().message;
    ASSERT_EQ(page->steps.size(), 4u);
    EXPECT_EQ(page->steps[0].level, 0);
    EXPECT_EQ(page->steps[0].table, 0x10000u);
    EXPECT_EQ(page->steps[0].index, 256u);
    EXPECT_EQ(page->steps[0].entry_address, 0x10000u + 8 * 256);
    EXPECT_EQ(page->steps[3].level, 3);
    EXPECT_TRUE(page->steps[3].valid);
    EXPECT_FALSE(page->steps[3].block);
    ASSERT_TRUE(page->physical);
    EXPECT_EQ(*page->physical, 0x40abc456u);
    EXPECT_EQ(page->page_size, 4096u);

    auto block = walker.translate(block_va);
    ASSERT_TRUE(block && block->physical);
    ASSERT_EQ(block->steps.size(), 3u);
    EXPECT_TRUE(block->steps.back().block);
    EXPECT_EQ(block->page_size, 2u << 20);
    EXPECT_EQ(*block->physical, 0x40200000u + (block_va & 0x1fffff));
    // Tables are read once and kept.
    EXPECT_EQ(t.memory.reads, 4);
}

TEST(Aarch64Walker, FourKiB39BitsThreeLevelsAndGigabyteBlock) {
    Tables t;
    t.r = regime(4096, 39);
    t.va = 0xffffff8012345678ull;
    t.table(0x20000, 1);
    t.table(0x21000, 2);
    t.table(0x22000, 3);
    t.entry(0x20000, 1, 0x21000 | valid | table_or_page);
    t.entry(0x21000, 2, 0x22000 | valid | table_or_page);
    t.entry(0x22000, 3, 0x7654321000ull | page_bits);
    const std::uint64_t giga = 0xffffffc040001234ull;
    t.memory.put_value(0x20000 + 8 * ((giga >> 30) & 511), 0x80000000ull | block_bits);
    PageTableWalker walker(t.memory, 0x20000, t.r);
    auto page = walker.translate(t.va);
    ASSERT_TRUE(page && page->physical) << (page ? "no physical" : page.error().message);
    ASSERT_EQ(page->steps.size(), 3u);
    EXPECT_EQ(page->steps[0].level, 1);
    EXPECT_EQ(*page->physical, 0x7654321678u);

    auto block = walker.translate(giga);
    ASSERT_TRUE(block && block->physical);
    EXPECT_EQ(block->steps.size(), 1u);
    EXPECT_EQ(block->page_size, 1u << 30);
    EXPECT_EQ(*block->physical, 0x80001234u);
}

TEST(Aarch64Walker, SixtyFourKiB42BitsTwoLevelsWithHalfGigabyteBlock) {
    Tables t;
    t.r = regime(65536, 42);
    t.va = 0xfffffc0012345678ull;
    t.table(0x400000, 2);
    t.table(0x410000, 3);
    t.entry(0x400000, 2, 0x410000 | valid | table_or_page);
    t.entry(0x410000, 3, 0x5abc0000ull | page_bits);
    const std::uint64_t block_va = 0xfffffe0023456789ull;
    t.memory.put_value(0x400000 + 8 * ((block_va >> 29) & 8191), 0x60000000ull | block_bits);
    PageTableWalker walker(t.memory, 0x400000, t.r);
    auto page = walker.translate(t.va);
    ASSERT_TRUE(page && page->physical);
    ASSERT_EQ(page->steps.size(), 2u);
    EXPECT_EQ(page->steps[0].level, 2);
    EXPECT_EQ(page->steps[0].index, static_cast<unsigned>((t.va >> 29) & 8191));
    EXPECT_EQ(page->page_size, 65536u);
    EXPECT_EQ(*page->physical, 0x5abc5678u);

    auto block = walker.translate(block_va);
    ASSERT_TRUE(block && block->physical);
    EXPECT_TRUE(block->steps.back().block);
    EXPECT_EQ(block->page_size, 512u << 20);
    EXPECT_EQ(*block->physical, 0x60000000u + (block_va & 0x1fffffff));
}

TEST(Aarch64Walker, SixteenKiB47BitsAnd48Bits) {
    Tables t;
    t.r = regime(16384, 47);
    t.va = 0xffff812345678abcull;
    t.table(0x100000, 1);
    t.table(0x104000, 2);
    t.table(0x108000, 3);
    t.entry(0x100000, 1, 0x104000 | valid | table_or_page);
    t.entry(0x104000, 2, 0x108000 | valid | table_or_page);
    t.entry(0x108000, 3, 0x44440000ull | page_bits);
    // A 32 MiB block at level 2.
    const std::uint64_t block_va = t.va + (4ull << 25);
    t.memory.put_value(0x104000 + 8 * ((block_va >> 25) & 2047), 0x42000000ull | block_bits);
    PageTableWalker walker(t.memory, 0x100000, t.r);
    auto page = walker.translate(t.va);
    ASSERT_TRUE(page && page->physical);
    ASSERT_EQ(page->steps.size(), 3u);
    EXPECT_EQ(page->steps[0].level, 1);
    EXPECT_EQ(page->page_size, 16384u);
    EXPECT_EQ(*page->physical, 0x44440000u + (t.va & 0x3fff));

    auto block = walker.translate(block_va);
    ASSERT_TRUE(block && block->physical);
    EXPECT_EQ(block->page_size, 32u << 20);
    EXPECT_EQ(*block->physical, 0x42000000u + (block_va & 0x1ffffff));

    // 16K/48: a level-0 table of two entries; bit 47 picks one.
    Tables four;
    four.r = regime(16384, 48);
    four.va = 0xffff800000004000ull;
    four.table(0x200000, 0);
    four.table(0x204000, 1);
    four.table(0x208000, 2);
    four.table(0x20c000, 3);
    four.entry(0x200000, 0, 0x204000 | valid | table_or_page);
    four.entry(0x204000, 1, 0x208000 | valid | table_or_page);
    four.entry(0x208000, 2, 0x20c000 | valid | table_or_page);
    four.entry(0x20c000, 3, 0x48000000ull | page_bits);
    PageTableWalker four_levels(four.memory, 0x200000, four.r);
    auto deep = four_levels.translate(four.va + 0x123);
    ASSERT_TRUE(deep && deep->physical);
    ASSERT_EQ(deep->steps.size(), 4u);
    EXPECT_EQ(deep->steps[0].index, 1u);
    EXPECT_EQ(*deep->physical, 0x48000123u);
}

TEST(Aarch64Walker, Lpa2PutsPhysicalBits51To50InBits9To8) {
    Tables t;
    t.r = regime(4096, 52, true, true);
    t.va = 0xffff000012345678ull; // 52-bit kernel half
    // Tables above 2^50 too: their addresses need bits [9:8] as well.
    const std::uint64_t high = 0x000c'0000'0000'0000ull;
    const std::uint64_t tables[] = {0x1000, 0x2000, 0x3000, 0x4000, high | 0x5000};
    for (int level = -1; level <= 3; ++level) {
        t.table(tables[level + 1], level);
    }
    const auto lpa2 = [](std::uint64_t pa) {
        return (pa & 0x0003fffffffff000ull) | ((pa >> 50) << 8);
    };
    for (int level = -1; level < 3; ++level) {
        t.entry(tables[level + 1], level, lpa2(tables[level + 2]) | valid | table_or_page);
    }
    const std::uint64_t pa = 0x000f'0003'4567'8000ull;
    t.entry(tables[4], 3, lpa2(pa) | page_bits);
    PageTableWalker walker(t.memory, tables[0], t.r);
    auto page = walker.translate(t.va);
    ASSERT_TRUE(page) << page.error().message;
    ASSERT_TRUE(page->physical);
    ASSERT_EQ(page->steps.size(), 5u);
    EXPECT_EQ(page->steps[0].level, -1);
    EXPECT_EQ(page->steps[0].index, 15u);
    EXPECT_EQ(page->steps[4].table, tables[4]);
    EXPECT_EQ(*page->physical, pa | 0x678);

    // Without DS, bits [9:8] are shareability, not address.
    EXPECT_EQ(regime(4096, 48).output_address(0x40000000ull | (3u << 8) | page_bits), 0x40000000u);
}

TEST(Aarch64Walker, LpaPutsPhysicalBits51To48InBits15To12) {
    const auto r = regime(65536, 52, false, true);
    const std::uint64_t pa = 0x000a'0000'1234'0000ull;
    const std::uint64_t descriptor = (pa & 0x0000ffffffff0000ull) | ((pa >> 48) << 12);
    EXPECT_EQ(r.output_address(descriptor | page_bits), pa);

    // A 4 TiB block at level 1 (only with 52-bit physical addresses).
    RegionMemory memory;
    memory.region(0x10000, r.entries(1) * 8);
    const std::uint64_t va = 0xfff8012345678000ull;
    memory.put_value(0x10000 + 8 * ((va >> 42) & 1023),
                     (pa & 0x0000fc0000000000ull) | ((pa >> 48) << 12) | block_bits);
    PageTableWalker walker(memory, 0x10000, r);
    auto block = walker.translate(va);
    ASSERT_TRUE(block && block->physical);
    EXPECT_EQ(block->page_size, 1ull << 42);
    EXPECT_EQ(*block->physical, 0x000a'0000'0000'0000ull | (va & ((1ull << 42) - 1)));
}

TEST(Aarch64Walker, InvalidDescriptorsEndTheWalk) {
    Tables t;
    t.r = regime(4096, 48);
    t.va = 0xffff000000201000ull;
    t.table(0x1000, 0);
    t.table(0x2000, 1);
    t.table(0x3000, 2);
    t.table(0x4000, 3);
    t.entry(0x1000, 0, 0x2000 | valid | table_or_page);
    t.entry(0x2000, 1, 0x3000 | valid | table_or_page);
    t.entry(0x3000, 2, 0x4000 | valid | table_or_page);
    PageTableWalker walker(t.memory, 0x1000, t.r);

    // Bit 0 clear.
    auto hole = walker.translate(t.va);
    ASSERT_TRUE(hole);
    EXPECT_FALSE(hole->physical);
    ASSERT_EQ(hole->steps.size(), 4u);
    EXPECT_FALSE(hole->steps.back().valid);

    // Level 3 with bit 1 clear is reserved, not a block.
    PageTableWalker fresh(t.memory, 0x1000, t.r);
    t.entry(0x4000, 3, 0x40000000 | valid | access_flag);
    auto reserved = fresh.translate(t.va);
    ASSERT_TRUE(reserved);
    EXPECT_FALSE(reserved->physical);
    EXPECT_FALSE(reserved->steps.back().valid);
    EXPECT_FALSE(reserved->steps.back().block);

    // A block at level 0 needs LPA2.
    Tables l0;
    l0.r = regime(4096, 48);
    l0.va = 0xffff000000000000ull;
    l0.table(0x1000, 0);
    l0.entry(0x1000, 0, 0x40000000 | block_bits);
    PageTableWalker no_block(l0.memory, 0x1000, l0.r);
    auto refused = no_block.translate(l0.va);
    ASSERT_TRUE(refused);
    EXPECT_FALSE(refused->physical);
    EXPECT_EQ(refused->steps.size(), 1u);
}

TEST(Aarch64Walker, AddressesOutsideTheRangeAndUnreadableTables) {
    RegionMemory memory;
    memory.region(0x1000, 4096);
    PageTableWalker walker(memory, 0x1000, regime(4096, 39));
    // Bits [55:39] not all ones in the kernel half.
    auto outside = walker.translate(0xffff800000000000ull);
    ASSERT_FALSE(outside);
    EXPECT_TRUE(outside.error().is(ErrorKind::unmapped));
    EXPECT_NE(outside.error().message.find("0xffff800000000000"), std::string::npos);
    // A tag in the top byte does not matter.
    EXPECT_TRUE(walker.translate(0xf4ffffc000000000ull));
    EXPECT_TRUE(walker.translate(0x0000008000000000ull - 1));
    EXPECT_FALSE(walker.translate(0x0000008000000000ull));

    PageTableWalker unreadable(memory, 0x9000, regime(4096, 48));
    auto error = unreadable.translate(0xffff000000000000ull);
    ASSERT_FALSE(error);
    EXPECT_NE(error.error().message.find("0x9000"), std::string::npos);

    PageTableWalker impossible(memory, 0x1000, regime(4096, 52));
    auto bad = impossible.translate(0);
    ASSERT_FALSE(bad);
    EXPECT_TRUE(bad.error().is(ErrorKind::unsupported));
}

} // namespace page_table_walker_test
} // namespace kdive::arch::aarch64
