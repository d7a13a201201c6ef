// Resolving the concrete kernel packages from captured suite data.
#include "apt_cache_fixtures.hpp"
#include "lab/kernel_packages.hpp"

#include <gtest/gtest.h>
#include <map>

namespace kdive::lab {
namespace {

// A lookup over captured `apt-cache show` text, failing like PrivateApt::show does.
PackageLookup lookup_in(const char* text, std::vector<std::string>* asked = nullptr) {
    std::map<std::string, PackageRecord> index;
    for (auto& record : parse_package_records(text)) {
        index.emplace(record.name, record);
    }
    return [index, asked](const std::string& name) -> Result<PackageRecord> {
        if (asked != nullptr) {
            asked->push_back(name);
        }
        auto it = index.find(name);
        if (it == index.end()) {
            return fail("package {} not found", name);
        }
        return it->second;
    };
}

std::vector<std::string> names(const KernelPackages& packages) {
    std::vector<std::string> out;
    for (const auto& p : packages.packages) {
        out.push_back(p.name);
    }
    return out;
}

TEST(KernelPackages, BookwormIsImagePlusDbg) {
    auto entry = KernelCatalog::find("debian-6.1-cloud");
    ASSERT_TRUE(entry);
    auto resolved = resolve_kernel_packages(*entry, lookup_in(fixtures::kBookwormShow));
    ASSERT_TRUE(resolved) << resolved.error().message;
    EXPECT_EQ(resolved->release, "6.1.0-50-cloud-amd64");
    EXPECT_EQ(names(*resolved), (std::vector<std::string>{"linux-image-6.1.0-50-cloud-amd64",
                                                          "linux-image-6.1.0-50-cloud-amd64-dbg"}));
    EXPECT_EQ(resolved->download_bytes(), 26484304U + resolved->packages[1].size);
    EXPECT_GT(resolved->packages[1].size, 200'000'000U);
}

TEST(KernelPackages, SidFollowsTheSplitImage) {
    auto entry = KernelCatalog::find("debian-sid-cloud");
    ASSERT_TRUE(entry);
    std::vector<std::string> asked;
    auto resolved = resolve_kernel_packages(*entry, lookup_in(fixtures::kSidShow, &asked));
    ASSERT_TRUE(resolved) << resolved.error().message;
    const std::string r = "7.2.13+deb14-cloud-amd64";
    EXPECT_EQ(resolved->release, r);
    auto got = names(*resolved);
    std::sort(got.begin(), got.end());
    EXPECT_EQ(got,
              (std::vector<std::string>{"linux-base-" + r, "linux-binary-" + r, "linux-image-" + r,
                                        "linux-image-" + r + "-dbg", "linux-modules-" + r}));
    // Release-independent dependencies (kmod, linux-base, initramfs tools) are not followed.
    EXPECT_EQ(std::count(asked.begin(), asked.end(), "kmod"), 0);
    EXPECT_EQ(std::count(asked.begin(), asked.end(), "linux-base"), 0);
    EXPECT_EQ(std::count(asked.begin(), asked.end(), "linux-base-" + r), 1);
}

TEST(KernelPackages, MissingPackageIsNamed) {
    auto entry = KernelCatalog::find("debian-sid-cloud");
    ASSERT_TRUE(entry);
    // bookworm's data has no sid packages: the metapackage resolves, its dependency does not.
    std::string text = fixtures::kSidShow;
    text = text.substr(0, text.find("Package: linux-image-7.2.13+deb14-cloud-amd64-dbg"));
    auto resolved = resolve_kernel_packages(*entry, lookup_in(text.c_str()));
    ASSERT_FALSE(resolved);
    EXPECT_NE(resolved.error().message.find("linux-image-7.2.13+deb14-cloud-amd64-dbg"),
              std::string::npos);
}

TEST(KernelPackages, DbgMetapackageForAnotherReleaseIsAnError) {
    auto entry = KernelCatalog::find("debian-6.1-cloud");
    ASSERT_TRUE(entry);
    std::string text = fixtures::kBookwormShow;
    auto at = text.find("Depends: linux-image-6.1.0-50-cloud-amd64-dbg");
    ASSERT_NE(at, std::string::npos);
    text.replace(at, 45, "Depends: linux-image-6.1.0-49-cloud-amd64-dbg");
    auto resolved = resolve_kernel_packages(*entry, lookup_in(text.c_str()));
    ASSERT_FALSE(resolved);
    EXPECT_NE(resolved.error().message.find("6.1.0-49-cloud-amd64"), std::string::npos);
}

} // namespace
} // namespace kdive::lab
