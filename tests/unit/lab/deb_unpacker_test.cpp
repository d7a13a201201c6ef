// Extracting selected members from a real .deb built with dpkg-deb.
#include "lab/deb_unpacker.hpp"
#include "support/atomic_file.hpp"
#include "support/subprocess.hpp"
#include "temp_dir.hpp"

#include <gtest/gtest.h>

namespace kdive::lab {
namespace {

namespace fs = std::filesystem;

TEST(DebUnpacker, ExtractsChosenMembersAndSkipsAbsentOnes) {
    testing::TempDir dir("deb-unpack");
    fs::path pkg = dir / "pkg";
    fs::create_directories(pkg / "DEBIAN");
    fs::create_directories(pkg / "boot");
    fs::create_directories(pkg / "usr/share/doc/kdive-test");
    ASSERT_TRUE(write_file_atomically(pkg / "DEBIAN/control",
                                      "Package: kdive-test\nVersion: 1.0\nArchitecture: all\n"
                                      "Maintainer: kdive <kdive@example.org>\n"
                                      "Description: unpack test\n"));
    ASSERT_TRUE(write_file_atomically(pkg / "boot/vmlinuz-1.0", "image"));
    ASSERT_TRUE(write_file_atomically(pkg / "usr/share/doc/kdive-test/copyright", "text"));
    auto built = run_checked(
        {"dpkg-deb", "--root-owner-group", "--build", pkg.string(), (dir / "test.deb").string()});
    ASSERT_TRUE(built) << built.error().message;

    auto done = unpack_deb_members(dir / "test.deb", dir / "out",
                                   {"./boot", "./lib/modules/1.0", "./usr/lib/modules/1.0"});
    ASSERT_TRUE(done) << done.error().message;
    EXPECT_EQ(*read_file(dir / "out/boot/vmlinuz-1.0"), "image");
    EXPECT_FALSE(fs::exists(dir / "out/usr/share"));
}

TEST(DebUnpacker, BrokenPackageIsAnError) {
    testing::TempDir dir("deb-broken");
    ASSERT_TRUE(write_file_atomically(dir / "bad.deb", "not an ar archive"));
    auto done = unpack_deb_members(dir / "bad.deb", dir / "out", {"./boot"});
    ASSERT_FALSE(done);
    EXPECT_NE(done.error().message.find("bad.deb"), std::string::npos);
}

TEST(DebUnpacker, OnlyMissingMembersIsTolerated) {
    EXPECT_TRUE(only_missing_members("tar: ./lib/modules/R: Not found in archive\n"
                                     "tar: Exiting with failure status due to previous errors\n"));
    EXPECT_FALSE(only_missing_members("tar: ./x: Cannot write: No space left on device\n"
                                      "tar: ./lib/modules/R: Not found in archive\n"));
    EXPECT_FALSE(only_missing_members(""));
}

} // namespace
} // namespace kdive::lab
