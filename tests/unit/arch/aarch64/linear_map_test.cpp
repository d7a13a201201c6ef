// arm64's linear map and vmemmap from VMCOREINFO: 6.1's 48-bit layout as QEMU's virt board
// boots it, a 52-bit kernel running with 48 (memstart_addr lowered), and SYMBOL(vmemmap).
#include "arch/aarch64/linear_map.hpp"

#include <gtest/gtest.h>

namespace kdive::arch::aarch64 {
namespace {

TEST(Arm64LinearMap, Debian61OnVirt) {
    // What debian-6.1-cloud-arm64 publishes (RAM at 1 GiB).
    const auto info = target::VmcoreInfo::parse("PAGESIZE=4096\n"
                                                "NUMBER(VA_BITS)=48\n"
                                                "NUMBER(VMEMMAP_START)=0xfffffc0000000000\n"
                                                "NUMBER(PHYS_OFFSET)=0x40000000\n");
    auto layout = linear_map_layout(info, std::nullopt, 64);
    ASSERT_TRUE(layout) << layout.error().message;
    EXPECT_EQ(layout->page_offset, 0xffff000000000000ull);
    EXPECT_EQ(layout->page_end, 0xffff800000000000ull);
    EXPECT_EQ(layout->phys_offset, 0x40000000u);
    EXPECT_EQ(layout->page_shift, 12u);
    // PFN 0x40000 (RAM's first) has the array's first struct page.
    EXPECT_EQ(layout->vmemmap + 0x40000 * 64, 0xfffffc0000000000ull);
}

TEST(Arm64LinearMap, FiftyTwoBitKernelRunningWith48) {
    // arm64_memblock_init lowers memstart_addr by _PAGE_OFFSET(48) - _PAGE_OFFSET(52).
    const std::uint64_t memstart = 0x40000000ull - 0x000f000000000000ull;
    const auto info = target::VmcoreInfo::parse("PAGESIZE=4096\nNUMBER(VA_BITS)=52\n"
                                                "NUMBER(VMEMMAP_START)=0xffffffbfc0000000\n");
    auto layout = linear_map_layout(info, memstart, 64);
    ASSERT_TRUE(layout) << layout.error().message;
    EXPECT_EQ(layout->page_offset, 0xfff0000000000000ull);
    // RAM's first byte is where a 48-bit kernel would put it.
    EXPECT_EQ(layout->page_offset + (0x40000000ull - layout->phys_offset), 0xffff000000000000ull);
    // vmemmap: VMEMMAP_START less memstart_addr's (negative) PFN, as the kernel's s64 shift.
    const auto first_pfn = static_cast<std::uint64_t>(static_cast<std::int64_t>(memstart) >> 12);
    EXPECT_EQ(layout->vmemmap, 0xffffffbfc0000000ull - first_pfn * 64);
}

TEST(Arm64LinearMap, SymbolVmemmapWins) {
    const auto info = target::VmcoreInfo::parse("NUMBER(VA_BITS)=48\n"
                                                "SYMBOL(vmemmap)=fffffbffff000000\n"
                                                "NUMBER(VMEMMAP_START)=0xfffffc0000000000\n");
    auto layout = linear_map_layout(info, 0x40000000, 64);
    ASSERT_TRUE(layout) << layout.error().message;
    EXPECT_EQ(layout->vmemmap, 0xfffffbffff000000ull);
}

TEST(Arm64LinearMap, MissingFactsAreNamed) {
    auto no_bits = linear_map_layout(target::VmcoreInfo::parse("PAGESIZE=4096\n"), 0, 64);
    ASSERT_FALSE(no_bits);
    EXPECT_NE(no_bits.error().message.find("VA_BITS"), std::string::npos);
    auto no_start =
        linear_map_layout(target::VmcoreInfo::parse("NUMBER(VA_BITS)=48\n"), std::nullopt, 64);
    ASSERT_FALSE(no_start);
    EXPECT_NE(no_start.error().message.find("PHYS_OFFSET"), std::string::npos);
    auto no_vmemmap = linear_map_layout(target::VmcoreInfo::parse("NUMBER(VA_BITS)=48\n"), 0, 64);
    ASSERT_FALSE(no_vmemmap);
    EXPECT_NE(no_vmemmap.error().message.find("VMEMMAP_START"), std::string::npos);
    auto odd_page =
        linear_map_layout(target::VmcoreInfo::parse("NUMBER(VA_BITS)=48\nPAGESIZE=5000\n"), 0, 64);
    EXPECT_FALSE(odd_page);
}

} // namespace
} // namespace kdive::arch::aarch64
