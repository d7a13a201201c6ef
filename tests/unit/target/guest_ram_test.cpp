// Guest RAM mapped from a file: reads across regions, holes name their address, regions past
// the backend are refused.
#include "target/guest_ram.hpp"
#include "temp_dir.hpp"

#include <algorithm>
#include <fstream>
#include <gtest/gtest.h>
#include <unistd.h>

namespace kdive::target {
namespace {

TEST(GuestRam, ReadsThroughRegionsAndNamesHoles) {
    testing::TempDir dir("guest-ram");
    const auto backend = dir.path() / "ram";
    std::vector<std::uint8_t> bytes(0x4000);
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        bytes[i] = static_cast<std::uint8_t>(i / 0x1000 + 1);
    }
    std::ofstream(backend, std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()),
               static_cast<std::streamsize>(bytes.size()));
    // Guest-physical 0-0x2000 is the backend's start; 0x10000-0x12000 its second half.
    auto ram = GuestRam::map(backend, {{0x10000, 0x2000, 0x2000}, {0x0, 0x2000, 0x0}});
    ASSERT_TRUE(ram) << ram.error().message;
    std::uint8_t out[4] = {};
    ASSERT_TRUE((*ram)->read(0xffe, out)); // crosses from the first page to the second
    EXPECT_EQ(out[0], 1);
    EXPECT_EQ(out[3], 2);
    ASSERT_TRUE((*ram)->read(0x11000, {out, 1}));
    EXPECT_EQ(out[0], 4);
    auto hole = (*ram)->read(0x1fff, {out, 2}); // runs into the hole after the first region
    ASSERT_FALSE(hole);
    EXPECT_TRUE(hole.error().is(ErrorKind::unmapped));
    EXPECT_NE(hole.error().message.find("0x2000"), std::string::npos) << hole.error().message;
    EXPECT_FALSE((*ram)->read(0x12000, {out, 1}));

    auto past = GuestRam::map(backend, {{0x0, 0x5000, 0x0}});
    ASSERT_FALSE(past);
    EXPECT_NE(past.error().message.find("past"), std::string::npos);
    EXPECT_FALSE(GuestRam::map(dir.path() / "missing", {}));
}

// This process's own memory stands in for QEMU's: regions name its addresses.
TEST(GuestRam, ReadsAnotherProcessesMemoryAndSaysWhenItCannot) {
    std::vector<std::uint8_t> guest(0x3000);
    for (std::size_t i = 0; i < guest.size(); ++i) {
        guest[i] = static_cast<std::uint8_t>(i * 13);
    }
    const auto base = reinterpret_cast<std::uint64_t>(guest.data());
    auto ram = GuestRam::in_process(::getpid(), {{0x100000, 0x3000, base}});
    ASSERT_TRUE(ram) << ram.error().message;
    std::uint8_t out[16] = {};
    ASSERT_TRUE((*ram)->read(0x101ff8, out));
    EXPECT_TRUE(std::equal(std::begin(out), std::end(out), guest.begin() + 0x1ff8));
    EXPECT_NE((*ram)->describe().find("process_vm_readv"), std::string::npos);
    EXPECT_FALSE((*ram)->read(0x103000, {out, 1}));
    // An address the process does not map: an error naming it, not a crash.
    auto bad = GuestRam::in_process(::getpid(), {{0x0, 0x1000, 0x10}});
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().message.find("0x10"), std::string::npos) << bad.error().message;
}

} // namespace
} // namespace kdive::target
