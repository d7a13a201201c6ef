// Parsing `apt-cache show` stanzas and Depends fields.
#include "apt_cache_fixtures.hpp"
#include "lab/apt_package.hpp"

#include <gtest/gtest.h>

namespace kdive::lab {
namespace {

using Groups = std::vector<std::vector<std::string>>;

TEST(AptPackage, DependsDropsVersionsArchitecturesAndProfiles) {
    EXPECT_EQ(parse_depends("kmod, linux-base (>= 4.3~), initramfs-tools (>= 0.120+deb8u2) | "
                            "linux-initramfs-tool"),
              (Groups{{"kmod"}, {"linux-base"}, {"initramfs-tools", "linux-initramfs-tool"}}));
    EXPECT_EQ(parse_depends("libc6:any [amd64] <!nocheck>, a|b"), (Groups{{"libc6"}, {"a", "b"}}));
    EXPECT_TRUE(parse_depends("").empty());
}

TEST(AptPackage, BookwormRecords) {
    auto records = parse_package_records(fixtures::kBookwormShow);
    ASSERT_EQ(records.size(), 4U);
    EXPECT_EQ(records[0].name, "linux-image-cloud-amd64");
    EXPECT_EQ(records[0].depends, (Groups{{"linux-image-6.1.0-50-cloud-amd64"}}));
    const auto& image = records[2];
    EXPECT_EQ(image.name, "linux-image-6.1.0-50-cloud-amd64");
    EXPECT_EQ(image.version, "6.1.176-1");
    EXPECT_EQ(image.size, 26484304U);
    EXPECT_EQ(image.installed, 105110U * 1024U);
    EXPECT_EQ(
        image.filename,
        "pool/main/l/linux-signed-amd64/linux-image-6.1.0-50-cloud-amd64_6.1.176-1_amd64.deb");
    // Conflicts/Replaces name the release too but are not dependencies.
    for (const auto& group : image.depends) {
        for (const auto& name : group) {
            EXPECT_EQ(name.find("unsigned"), std::string::npos) << name;
        }
    }
}

TEST(AptPackage, SidImageSplitAndPreDepends) {
    auto records = parse_package_records(fixtures::kSidShow);
    ASSERT_EQ(records.size(), 7U);
    const auto& image = records[2];
    EXPECT_EQ(image.name, "linux-image-7.2.13+deb14-cloud-amd64");
    EXPECT_EQ(image.depends.front(), std::vector<std::string>{"linux-base"}); // Pre-Depends
    EXPECT_EQ(image.depends.back(),
              std::vector<std::string>{"linux-modules-7.2.13+deb14-cloud-amd64"});
}

} // namespace
} // namespace kdive::lab
