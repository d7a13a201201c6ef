// An exact kernel release's packages from captured suite data, and a catalog kernel's fallback
// releases from its metapackage's versions.
#include "apt_cache_fixtures.hpp"
#include "lab/kernel_packages.hpp"

#include <algorithm>
#include <gtest/gtest.h>
#include <map>

namespace kdive::lab {
// Named rather than anonymous: a unity build compiles this file with its siblings.
namespace kernel_release_packages_test {

// The suites' records by name, failing for an absent one as PrivateApt::show does.
PackageLookup suites_holding(const std::string& text) {
    std::map<std::string, PackageRecord> index;
    for (auto& record : parse_package_records(text)) {
        index.emplace(record.name, record);
    }
    return [index](const std::string& name) -> Result<PackageRecord> {
        auto it = index.find(name);
        if (it == index.end()) {
            return fail("package {} not found", name);
        }
        return it->second;
    };
}

std::string replaced(std::string text, const std::string& from, const std::string& to) {
    auto at = text.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    if (at != std::string::npos) {
        text.replace(at, from.size(), to);
    }
    return text;
}

std::vector<std::string> names(const KernelPackages& packages) {
    std::vector<std::string> out;
    for (const auto& p : packages.packages) {
        out.push_back(p.name);
    }
    std::sort(out.begin(), out.end());
    return out;
}

const std::string kWhere = "bookworm, bookworm-updates, bookworm-security";

TEST(ReleasePackages, ImageAndDbgOfExactlyThatRelease) {
    auto found = resolve_release_packages("6.1.0-50-cloud-amd64",
                                          suites_holding(fixtures::kBookwormShow), kWhere);
    ASSERT_TRUE(found) << found.error().message;
    ASSERT_TRUE(found->has_value());
    EXPECT_EQ((*found)->release, "6.1.0-50-cloud-amd64");
    EXPECT_EQ(names(**found), (std::vector<std::string>{"linux-image-6.1.0-50-cloud-amd64",
                                                        "linux-image-6.1.0-50-cloud-amd64-dbg"}));
}

TEST(ReleasePackages, UnsignedImageWhenThereIsNoSignedOne) {
    const std::string text =
        replaced(fixtures::kBookwormShow, "Package: linux-image-6.1.0-50-cloud-amd64\n",
                 "Package: linux-image-6.1.0-50-cloud-amd64-unsigned\n");
    auto found = resolve_release_packages("6.1.0-50-cloud-amd64", suites_holding(text), kWhere);
    ASSERT_TRUE(found) << found.error().message;
    ASSERT_TRUE(found->has_value());
    EXPECT_EQ(names(**found),
              (std::vector<std::string>{"linux-image-6.1.0-50-cloud-amd64-dbg",
                                        "linux-image-6.1.0-50-cloud-amd64-unsigned"}));
}

TEST(ReleasePackages, SplitImageOfNewerKernelsIsFollowed) {
    const std::string r = "7.2.13+deb14-cloud-amd64";
    auto found = resolve_release_packages(r, suites_holding(fixtures::kSidShow), "sid");
    ASSERT_TRUE(found) << found.error().message;
    ASSERT_TRUE(found->has_value());
    EXPECT_EQ(names(**found),
              (std::vector<std::string>{"linux-base-" + r, "linux-binary-" + r, "linux-image-" + r,
                                        "linux-image-" + r + "-dbg", "linux-modules-" + r}));
}

TEST(ReleasePackages, AbsentReleaseIsNotAnErrorOfTheseSuites) {
    auto found = resolve_release_packages("6.1.0-999-cloud-amd64",
                                          suites_holding(fixtures::kBookwormShow), kWhere);
    ASSERT_TRUE(found) << found.error().message;
    EXPECT_FALSE(found->has_value());
}

TEST(ReleasePackages, ImageWithoutDebugInfoIsNamed) {
    // bookworm-security keeps old images whose -dbg package is gone (6.1.0-48 today).
    const std::string text =
        replaced(fixtures::kBookwormShow, "Package: linux-image-6.1.0-50-cloud-amd64-dbg\n",
                 "Package: linux-image-6.1.0-49-cloud-amd64-dbg\n");
    auto found = resolve_release_packages("6.1.0-50-cloud-amd64", suites_holding(text), kWhere);
    ASSERT_FALSE(found);
    EXPECT_NE(found.error().message.find("linux-image-6.1.0-50-cloud-amd64-dbg"), std::string::npos)
        << found.error().message;
    EXPECT_NE(found.error().message.find(kWhere), std::string::npos) << found.error().message;
}

TEST(ReleasePackages, DbgOfAnotherBuildIsAnError) {
    std::string text = fixtures::kBookwormShow;
    const std::string dbg = "Package: linux-image-6.1.0-50-cloud-amd64-dbg\n";
    auto at = text.find(dbg);
    ASSERT_NE(at, std::string::npos);
    at = text.find("Version: 6.1.176-1", at);
    ASSERT_NE(at, std::string::npos);
    text.replace(at, 18, "Version: 6.1.176-2");
    auto found = resolve_release_packages("6.1.0-50-cloud-amd64", suites_holding(text), kWhere);
    ASSERT_FALSE(found);
    EXPECT_NE(found.error().message.find("6.1.176-2"), std::string::npos) << found.error().message;
}

PackageRecord meta(const std::string& version, const std::string& depends) {
    PackageRecord record;
    record.name = "linux-image-cloud-amd64";
    record.version = version;
    record.depends = parse_depends(depends);
    return record;
}

TEST(ReleasePackages, MetapackageVersionsGiveTheFallbacksNewestFirst) {
    // apt-cache show lists bullseye-security's version before bullseye's.
    const std::vector<PackageRecord> versions{
        meta("5.10.262-1", "linux-image-5.10.0-46-cloud-amd64 (= 5.10.262-1)"),
        meta("5.10.262-1", "linux-image-5.10.0-46-cloud-amd64 (= 5.10.262-1)"),
        meta("5.10.223-1", "linux-image-5.10.0-32-cloud-amd64 (= 5.10.223-1)"),
        meta("5.10.1-1", "kmod, linux-base (>= 4.3~)"),
    };
    EXPECT_EQ(metapackage_releases(versions),
              (std::vector<std::string>{"5.10.0-46-cloud-amd64", "5.10.0-32-cloud-amd64"}));
}

} // namespace kernel_release_packages_test
} // namespace kdive::lab
