// The catalog of fetchable kernels.
#include "lab/kernel_catalog.hpp"

#include <gtest/gtest.h>

namespace kdive::lab {
namespace {

TEST(KernelCatalog, FourKernelsWithTheirSuites) {
    std::vector<std::pair<std::string, std::string>> got;
    for (const auto& e : KernelCatalog::entries()) {
        got.emplace_back(e.name, e.suite);
    }
    EXPECT_EQ(got,
              (std::vector<std::pair<std::string, std::string>>{{"debian-6.1-cloud", "bookworm"},
                                                                {"debian-6.12-cloud", "trixie"},
                                                                {"debian-5.10-cloud", "bullseye"},
                                                                {"debian-sid-cloud", "sid"}}));
    EXPECT_EQ(KernelCatalog::default_name(), "debian-6.1-cloud");
}

TEST(KernelCatalog, FindsByName) {
    auto entry = KernelCatalog::find("debian-6.12-cloud");
    ASSERT_TRUE(entry) << entry.error().message;
    EXPECT_EQ(entry->suite, "trixie");
    EXPECT_EQ(entry->image_package, "linux-image-cloud-amd64");
    EXPECT_EQ(entry->dbg_package, "linux-image-cloud-amd64-dbg");
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
