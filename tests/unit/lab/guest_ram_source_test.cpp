// Guest RAM placement from QEMU's flat memory views: the "memory" view wherever it is listed,
// RAM split around the PCI hole, and lines that are not RAM of the backend.
#include "lab/guest_ram_source.hpp"

#include <gtest/gtest.h>

namespace kdive::lab {
namespace {

TEST(GuestRamSource, RegionsOfTheMemoryViewWhereverItIsListed) {
    const std::string mtree =
        "FlatView #0\r\n"
        " AS \"I/O\", root: io\r\n"
        " Root memory region: io\r\n"
        "  0000000000000000-0000000000000007 (prio 0, i/o): dma-chan\r\n"
        "  0000000000001000-0000000000001fff (prio 0, ram): kdive-ram @0000000000005000\r\n"
        "\r\n"
        "FlatView #1\r\n"
        " AS \"memory\", root: system\r\n"
        " AS \"cpu-memory-0\", root: system\r\n"
        " Root memory region: system\r\n"
        "  0000000000000000-000000000009ffff (prio 0, ram): kdive-ram\r\n"
        "  00000000000a0000-00000000000bffff (prio 1, i/o): vga-lowmem\r\n"
        "  00000000000c0000-00000000000dffff (prio 1, rom): kdive-ram @00000000000c0000\r\n"
        "  0000000000100000-00000000bfffffff (prio 0, ram): kdive-ram @0000000000100000 KVM\r\n"
        "  00000000fec00000-00000000fec00fff (prio 0, i/o): ioapic\r\n"
        "  0000000100000000-000000013fffffff (prio 0, ram): kdive-ram @00000000c0000000\r\n"
        "  0000000140000000-0000000140000fff (prio 0, ram): other-ram\r\n"
        "\r\n"
        "FlatView #2\r\n"
        " AS \"memory\", root: system\r\n"
        "  0000000200000000-0000000200000fff (prio 0, ram): kdive-ram\r\n";
    const auto regions = parse_ram_regions(mtree, guest_ram_backend_id);
    const std::vector<target::RamRegion> expected = {
        {0x0, 0xa0000, 0x0},
        {0x100000, 0xbff00000, 0x100000},
        {0x100000000, 0x40000000, 0xc0000000},
    };
    EXPECT_EQ(regions, expected);
    EXPECT_TRUE(parse_ram_regions("garbage\n-(): x\n", guest_ram_backend_id).empty());
    EXPECT_TRUE(parse_ram_regions("", guest_ram_backend_id).empty());
}

// qemu-system-aarch64 -M virt (QEMU 7.2, 1 GiB): RAM from 0x40000000, backend offset 0; the
// flash is romd, not RAM.
TEST(GuestRamSource, Arm64VirtRamStartsAt1GiB) {
    const std::string mtree =
        "FlatView #0\n"
        " AS \"gpex-root\", root: bus master container\n"
        " Root memory region: (none)\n"
        "  No rendered FlatView\n"
        "\n"
        "FlatView #1\n"
        " AS \"memory\", root: system\n"
        " AS \"cpu-memory-0\", root: system\n"
        " AS \"gicv3-its-sysmem\", root: system\n"
        " Root memory region: system\n"
        "  0000000000000000-0000000003ffffff (prio 0, romd): virt.flash0\n"
        "  000000000a003e00-000000000a003fff (prio 0, i/o): virtio-mmio\n"
        "  0000000010000000-000000003efeffff (prio 0, i/o): gpex_mmio_window @0000000010000000\n"
        "  0000000040000000-000000007fffffff (prio 0, ram): kdive-ram\n"
        "  0000004010000000-000000401fffffff (prio 0, i/o): pcie-mmcfg-mmio\n";
    const std::vector<target::RamRegion> expected = {{0x40000000, 0x40000000, 0x0}};
    EXPECT_EQ(parse_ram_regions(mtree, guest_ram_backend_id), expected);
    EXPECT_EQ(parse_ram_regions(mtree, ""), expected);
}

TEST(GuestRamSource, AnyRamWithoutABackendNameAndGpa2hvaReplies) {
    const std::string mtree =
        "FlatView #0\n AS \"memory\", root: system\n"
        "  0000000000000000-000000000009ffff (prio 0, ram): pc.ram\n"
        "  00000000000c0000-00000000000dffff (prio 1, rom): pc.rom\n"
        "  0000000000100000-000000001fffffff (prio 0, ram): pc.ram @0000000000100000\n";
    const auto regions = parse_ram_regions(mtree, "");
    ASSERT_EQ(regions.size(), 2u);
    EXPECT_EQ(regions[1].guest_physical, 0x100000u);
    EXPECT_EQ(regions[1].size, 0x1ff00000u);
    EXPECT_EQ(parse_gpa2hva("Host virtual address for 0x100000 (pc.ram) is 0x7f2b3c100000\r\n"),
              0x7f2b3c100000u);
    EXPECT_FALSE(parse_gpa2hva("Error: No memory is mapped at address 0xfec00000"));
    EXPECT_FALSE(parse_gpa2hva("... is 0x"));
}

TEST(GuestRamSource, ArgumentsShareTheBackend) {
    const auto args = guest_ram_arguments(512);
    ASSERT_EQ(args.size(), 4u);
    EXPECT_EQ(args[1], "memory-backend-memfd,id=kdive-ram,size=512M,share=on");
    EXPECT_EQ(args[3], "memory-backend=kdive-ram");
}

} // namespace
} // namespace kdive::lab
