// kernel.json round trip and rejection of incomplete manifests.
#include "lab/kernel_manifest.hpp"

#include <gtest/gtest.h>

namespace kdive::lab {
namespace {

TEST(KernelManifest, RoundTrip) {
    KernelManifest m{
        "debian-6.1-cloud",     "bookworm",
        "6.1.0-50-cloud-amd64", "http://deb.debian.org/debian",
        "2025-01-01T00:00:00Z", {{"linux-image-6.1.0-50-cloud-amd64", "6.1.176-1", 26484304}}};
    auto back = KernelManifest::from_json(m.to_json());
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(back->name, m.name);
    EXPECT_EQ(back->suite, m.suite);
    EXPECT_EQ(back->release, m.release);
    EXPECT_EQ(back->mirror, m.mirror);
    EXPECT_EQ(back->fetched_at, m.fetched_at);
    ASSERT_EQ(back->packages.size(), 1U);
    EXPECT_EQ(back->packages[0].size, 26484304U);
}

TEST(KernelManifest, ArchitectureIsRecordedAndDefaultsToAmd64) {
    KernelManifest m;
    m.name = "debian-6.1-cloud-arm64";
    m.release = "6.1.0-50-cloud-arm64";
    m.arch = KernelArch::arm64;
    EXPECT_NE(m.to_json().find("\"arch\": \"arm64\""), std::string::npos) << m.to_json();
    auto back = KernelManifest::from_json(m.to_json());
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(back->arch, KernelArch::arm64);
    // Written before kdive knew arm64.
    auto old = KernelManifest::from_json(R"({"name": "debian-6.1-cloud", "release": "6.1.0-50"})");
    ASSERT_TRUE(old) << old.error().message;
    EXPECT_EQ(old->arch, KernelArch::amd64);
    auto unknown =
        KernelManifest::from_json(R"({"name": "k", "release": "6.1.0-50", "arch": "mips"})");
    ASSERT_FALSE(unknown);
    EXPECT_NE(unknown.error().message.find("mips"), std::string::npos);
}

TEST(KernelManifest, IncompleteIsRejected) {
    EXPECT_FALSE(KernelManifest::from_json("{\"name\": \"debian-6.1-cloud\"}"));
    EXPECT_FALSE(KernelManifest::from_json("{\"name\": \"debian"));
    EXPECT_FALSE(KernelManifest::from_json("[]"));
}

} // namespace
} // namespace kdive::lab
