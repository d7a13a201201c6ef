// Free-space checks and their message.
#include "lab/disk_space.hpp"
#include "temp_dir.hpp"

#include <gtest/gtest.h>

namespace kdive::lab {
namespace {

TEST(DiskSpace, FreeBytesOfAFolderNotCreatedYet) {
    testing::TempDir dir("disk-space");
    auto free = free_bytes(dir / "kernels" / "debian-6.1-cloud");
    ASSERT_TRUE(free) << free.error().message;
    EXPECT_GT(*free, 0U);
}

TEST(DiskSpace, ShortageNamesFolderAndFigures) {
    testing::TempDir dir("disk-short");
    auto free = free_bytes(dir.path());
    ASSERT_TRUE(free);
    auto check = require_free_space(dir.path(), *free + 1'000'000'000'000ULL, "fetching x");
    ASSERT_FALSE(check);
    const auto& message = check.error().message;
    EXPECT_NE(message.find(dir.path().string()), std::string::npos) << message;
    EXPECT_NE(message.find("fetching x"), std::string::npos) << message;
    EXPECT_NE(message.find("GB"), std::string::npos) << message;
    EXPECT_TRUE(require_free_space(dir.path(), 1, "fetching x"));
}

TEST(DiskSpace, HumanSizes) {
    EXPECT_EQ(human_size(353'132'752), "353 MB");
    EXPECT_EQ(human_size(2'100'000'000), "2.1 GB");
    EXPECT_EQ(human_size(1916), "2 kB");
}

} // namespace
} // namespace kdive::lab
