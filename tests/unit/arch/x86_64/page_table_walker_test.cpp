// Page-table walks over fake physical memory: 4 and 5 levels, 2 MiB pages, holes; IKCONFIG.
#include "arch/x86_64/page_table_walker.hpp"
#include "kernel/kernel_config.hpp"
#include "region_memory.hpp"

#include <gtest/gtest.h>
#include <zlib.h>

namespace kdive::kernel {
namespace {

using arch::x86_64::PageTableWalker;
using testing::RegionMemory;

constexpr std::uint64_t present = 1, writable = 2, large = 0x80;

void table(RegionMemory& memory, std::uint64_t at) {
    memory.region(at, 4096);
}

TEST(PageTableWalker, FourLevelsTo4KiBPage) {
    RegionMemory memory;
    for (std::uint64_t t : {0x1000, 0x2000, 0x3000, 0x4000}) {
        table(memory, t);
    }
    const std::uint64_t va = 0xffff888000123456ull;
    const auto index = [&](int shift) { return (va >> shift) & 511; };
    memory.put_value(0x1000 + 8 * index(39), 0x2000 | present | writable);
    memory.put_value(0x2000 + 8 * index(30), 0x3000 | present | writable);
    memory.put_value(0x3000 + 8 * index(21), 0x4000 | present | writable);
    memory.put_value(0x4000 + 8 * index(12), 0x8000000000777000ull | present); // NX set
    PageTableWalker walker(memory, PageTableWalker::root_from_cr3(0x1000 | 0x5), false);
    auto t = walker.translate(va);
    ASSERT_TRUE(t) << t.error().message;
    ASSERT_EQ(t->steps.size(), 4u);
    EXPECT_EQ(t->steps[0].level, "PML4");
    EXPECT_EQ(t->steps[3].level, "PT");
    ASSERT_TRUE(t->physical);
    EXPECT_EQ(*t->physical, 0x777456u);
    EXPECT_EQ(t->page_size, 4096u);
}

TEST(PageTableWalker, TwoMiBPageAndHoles) {
    RegionMemory memory;
    for (std::uint64_t t : {0x1000, 0x2000, 0x3000}) {
        table(memory, t);
    }
    const std::uint64_t va = 0xffffffff81234567ull;
    memory.put_value(0x1000 + 8 * 511, 0x2000 | present);
    memory.put_value(0x2000 + 8 * 510, 0x3000 | present);
    memory.put_value(0x3000 + 8 * ((va >> 21) & 511), 0x1000000 | present | large);
    PageTableWalker walker(memory, 0x1000, false);
    auto t = walker.translate(va);
    ASSERT_TRUE(t && t->physical);
    EXPECT_EQ(*t->physical, 0x1000000u + (va & 0x1fffff));
    EXPECT_TRUE(t->steps.back().large);
    EXPECT_EQ(t->page_size, 2u << 20);

    auto hole = walker.translate(0xffffffffa0000000ull);
    ASSERT_TRUE(hole);
    EXPECT_FALSE(hole->physical);
    EXPECT_FALSE(hole->steps.back().present);
    // Tables are read once and kept.
    EXPECT_EQ(memory.reads, 3);
}

TEST(PageTableWalker, FiveLevelsStartAtPml5) {
    RegionMemory memory;
    table(memory, 0x1000);
    PageTableWalker walker(memory, 0x1000, true);
    auto t = walker.translate(0xff11000000000000ull);
    ASSERT_TRUE(t);
    ASSERT_EQ(t->steps.size(), 1u);
    EXPECT_EQ(t->steps[0].level, "PML5");
    EXPECT_FALSE(t->physical);
    EXPECT_TRUE(PageTableWalker::five_level_from_cr4(1u << 12));
}

TEST(PageTableWalker, UnreadableTableNamesIt) {
    RegionMemory memory;
    PageTableWalker walker(memory, 0x5000, false);
    auto t = walker.translate(0);
    ASSERT_FALSE(t);
    EXPECT_NE(t.error().message.find("0x5000"), std::string::npos);
}

std::string gzip(std::string_view text) {
    z_stream stream{};
    EXPECT_EQ(deflateInit2(&stream, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
    std::string out(text.size() + 256, '\0');
    stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
    stream.avail_in = static_cast<uInt>(text.size());
    stream.next_out = reinterpret_cast<Bytef*>(out.data());
    stream.avail_out = static_cast<uInt>(out.size());
    EXPECT_EQ(deflate(&stream, Z_FINISH), Z_STREAM_END);
    out.resize(stream.total_out);
    deflateEnd(&stream);
    return out;
}

std::vector<std::byte> bytes_of(std::string_view text) {
    std::vector<std::byte> out;
    for (char c : text) {
        out.push_back(static_cast<std::byte>(c));
    }
    return out;
}

TEST(KernelConfig, InflatesBetweenMarkers) {
    const std::string config = "CONFIG_HZ=250\nCONFIG_SMP=y\n";
    auto blob = bytes_of("IKCFG_ST" + gzip(config) + "IKCFG_ED");
    auto text = extract_ikconfig(blob);
    ASSERT_TRUE(text) << text.error().message;
    EXPECT_EQ(*text, config);

    EXPECT_FALSE(extract_ikconfig(bytes_of("no markers here")));
    auto truncated = bytes_of("IKCFG_ST" + gzip(config).substr(0, 10));
    EXPECT_FALSE(extract_ikconfig(truncated));
}

} // namespace
} // namespace kdive::kernel
