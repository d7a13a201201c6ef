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

TEST(KernelManifest, IncompleteIsRejected) {
    EXPECT_FALSE(KernelManifest::from_json("{\"name\": \"debian-6.1-cloud\"}"));
    EXPECT_FALSE(KernelManifest::from_json("{\"name\": \"debian"));
    EXPECT_FALSE(KernelManifest::from_json("[]"));
}

} // namespace
} // namespace kdive::lab
