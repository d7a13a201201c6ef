// The catalog of fetchable kernels.
#include "lab/kernel_catalog.hpp"

#include <gtest/gtest.h>
#include <tuple>

namespace kdive::lab {
namespace {

TEST(KernelCatalog, KernelsWithTheirSuitesAndArchitectures) {
    std::vector<std::tuple<std::string, std::string, std::string>> got;
    for (const auto& e : KernelCatalog::entries()) {
        got.emplace_back(e.name, e.suite, arch_name(e.arch));
    }
    EXPECT_EQ(got, (std::vector<std::tuple<std::string, std::string, std::string>>{
                       {"debian-6.1-cloud", "bookworm", "amd64"},
                       {"debian-6.12-cloud", "trixie", "amd64"},
                       {"debian-5.10-cloud", "bullseye", "amd64"},
                       {"debian-sid-cloud", "sid", "amd64"},
                       {"debian-6.1-cloud-arm64", "bookworm", "arm64"},
                       {"debian-6.12-cloud-arm64", "trixie", "arm64"},
                       {"debian-sid-cloud-arm64", "sid", "arm64"}}));
    EXPECT_EQ(KernelCatalog::default_name(), "debian-6.1-cloud");
}

TEST(KernelCatalog, Arm64KernelsUseTheArm64Metapackages) {
    auto entry = KernelCatalog::find("debian-6.1-cloud-arm64");
    ASSERT_TRUE(entry) << entry.error().message;
    EXPECT_EQ(entry->arch, KernelArch::arm64);
    EXPECT_EQ(entry->suite, "bookworm");
    EXPECT_EQ(entry->image_package, "linux-image-cloud-arm64");
    EXPECT_EQ(entry->dbg_package, "linux-image-cloud-arm64-dbg");
    // Every metapackage names the catalog entry's architecture.
    for (const auto& e : KernelCatalog::entries()) {
        EXPECT_TRUE(std::string_view(e.image_package).ends_with(arch_name(e.arch))) << e.name;
        EXPECT_TRUE(
            std::string_view(e.dbg_package).ends_with(std::string(arch_name(e.arch)) + "-dbg"))
            << e.name;
    }
}

TEST(KernelCatalog, FindsByName) {
    auto entry = KernelCatalog::find("debian-6.12-cloud");
    ASSERT_TRUE(entry) << entry.error().message;
    EXPECT_EQ(entry->suite, "trixie");
    EXPECT_EQ(entry->image_package, "linux-image-cloud-amd64");
    EXPECT_EQ(entry->dbg_package, "linux-image-cloud-amd64-dbg");
    EXPECT_EQ(entry->arch, KernelArch::amd64);
}

TEST(KernelCatalog, UnknownNameListsTheValidOnes) {
    auto entry = KernelCatalog::find("debian-4.19-cloud");
    ASSERT_FALSE(entry);
    const auto& message = entry.error().message;
    EXPECT_NE(message.find("debian-4.19-cloud"), std::string::npos);
    for (const auto& e : KernelCatalog::entries()) {
        EXPECT_NE(message.find(e.name), std::string::npos) << message;
    }
    EXPECT_FALSE(KernelCatalog::find(""));
    EXPECT_FALSE(KernelCatalog::find("DEBIAN-6.1-CLOUD"));
}

} // namespace
} // namespace kdive::lab
