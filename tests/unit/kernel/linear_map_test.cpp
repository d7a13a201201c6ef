// The linear map's arithmetic: x86-64's direct map from PFN 0, arm64's from RAM at 1 GiB, and
// the bounds that keep addresses outside RAM's PFNs and the struct page array out.
#include "kernel/linear_map.hpp"

#include <gtest/gtest.h>

namespace kdive::kernel {
namespace {

TEST(LinearMap, X8664DirectMapFromPfnZero) {
    LinearMap map;
    map.virtual_base = 0xffff888000000000ull;
    map.vmemmap = 0xffffea0000000000ull;
    map.end_pfn = 0x20000;
    EXPECT_EQ(map.virtual_of(0x1000), 0xffff888000001000ull);
    EXPECT_EQ(map.physical_of(0xffff888000001234ull), 0x1234u);
    EXPECT_FALSE(map.physical_of(0xffff888020000000ull)); // PFN 0x20000: past max_pfn
    EXPECT_FALSE(map.physical_of(0xffff887fffffffffull));
    EXPECT_EQ(map.pfn_of_page_struct(0xffffea0000000040ull + 8, 64), 1u);
    EXPECT_FALSE(map.pfn_of_page_struct(0xffffea0000000000ull + 0x20000 * 64, 64));
}

TEST(LinearMap, Arm64RamAboveZero) {
    LinearMap map;
    map.virtual_base = 0xffff000000000000ull;
    map.virtual_end = 0xffff800000000000ull;
    map.physical_base = 0x40000000;
    map.vmemmap = 0xfffffc0000000000ull - 0x40000 * 64;
    map.first_pfn = 0x40000;
    map.end_pfn = 0x80000;
    EXPECT_EQ(map.virtual_of(0x40000000), 0xffff000000000000ull);
    EXPECT_EQ(map.physical_of(0xffff00000221c100ull), 0x4221c100u);
    EXPECT_FALSE(map.physical_of(0xffff000040000000ull)); // 0x80000000: past RAM
    EXPECT_FALSE(map.physical_of(0xffff800008000000ull)); // vmalloc, not the linear map
    EXPECT_EQ(map.pfn_of_page_struct(0xfffffc0000088600ull, 64), 0x42218u);
    // Below the array's first struct page (PFNs below RAM have none).
    EXPECT_FALSE(map.pfn_of_page_struct(0xfffffc0000000000ull - 64, 64));
    EXPECT_FALSE(map.pfn_of_page_struct(0xfffffc0000000000ull, 0));
}

} // namespace
} // namespace kdive::kernel
