// PageCache: whole pages fetched once, reads across pages stitched, failures not cached.
#include "target/page_cache.hpp"

#include <gtest/gtest.h>
#include <vector>

namespace kdive::target {
namespace {

TEST(PageCache, FetchesWholePagesOnce) {
    PageCache cache(4096);
    std::vector<std::uint64_t> fetched;
    auto reader = [&](std::uint64_t page, std::span<std::uint8_t> out) -> Result<> {
        fetched.push_back(page);
        for (std::size_t i = 0; i < out.size(); ++i)
            out[i] = static_cast<std::uint8_t>((page + i) & 0xff);
        return {};
    };
    std::uint8_t bytes[16];
    ASSERT_TRUE(cache.read(0x1ff8, bytes, reader)); // straddles two pages
    EXPECT_EQ(fetched, (std::vector<std::uint64_t>{0x1000, 0x2000}));
    for (std::size_t i = 0; i < 16; ++i)
        EXPECT_EQ(bytes[i], static_cast<std::uint8_t>((0x1ff8 + i) & 0xff));
    ASSERT_TRUE(cache.read(0x1000, bytes, reader));
    EXPECT_EQ(fetched.size(), 2u);
    EXPECT_EQ(cache.hits(), 1u);
    cache.clear();
    ASSERT_TRUE(cache.read(0x1000, bytes, reader));
    EXPECT_EQ(fetched.size(), 3u);
}

TEST(PageCache, FailedPagesAreNotCached) {
    PageCache cache(4096);
    int calls = 0;
    auto reader = [&](std::uint64_t page, std::span<std::uint8_t>) -> Result<> {
        ++calls;
        return fail("cannot read virtual memory at {:#x}", page);
    };
    std::uint8_t byte;
    auto first = cache.read(0xffffffff81000010u, std::span(&byte, 1), reader);
    ASSERT_FALSE(first);
    EXPECT_NE(first.error().message.find("0xffffffff81000000"), std::string::npos);
    EXPECT_FALSE(cache.read(0xffffffff81000010u, std::span(&byte, 1), reader));
    EXPECT_EQ(calls, 2);
}

TEST(PageCache, TopOfAddressSpace) {
    PageCache cache(4096);
    auto reader = [](std::uint64_t, std::span<std::uint8_t> out) -> Result<> {
        std::fill(out.begin(), out.end(), 0xab);
        return {};
    };
    std::uint8_t bytes[8];
    ASSERT_TRUE(cache.read(0xfffffffffffffff8u, bytes, reader));
    EXPECT_EQ(bytes[7], 0xab);
}

TEST(PageCache, StoredRangesServeReadsInsideThem) {
    PageCache cache(4096);
    std::vector<std::uint8_t> stored(100);
    for (std::size_t i = 0; i < stored.size(); ++i)
        stored[i] = static_cast<std::uint8_t>(i);
    cache.store_range(0x5000, stored);
    std::uint8_t bytes[10];
    ASSERT_TRUE(cache.read_cached(0x5010, bytes));
    EXPECT_EQ(bytes[0], 0x10);
    EXPECT_EQ(bytes[9], 0x19);
    EXPECT_FALSE(cache.read_cached(0x5060, bytes)); // runs past the stored bytes
    EXPECT_FALSE(cache.read_cached(0x4ff8, bytes)); // starts before them
    cache.clear();
    EXPECT_FALSE(cache.read_cached(0x5010, bytes));
}

TEST(PageCache, ReadCachedNeedsEveryPage) {
    PageCache cache(4096);
    auto reader = [](std::uint64_t, std::span<std::uint8_t> out) -> Result<> {
        std::fill(out.begin(), out.end(), std::uint8_t{7});
        return {};
    };
    std::uint8_t byte;
    ASSERT_TRUE(cache.read(0x1000, std::span(&byte, 1), reader));
    std::uint8_t bytes[16];
    EXPECT_TRUE(cache.read_cached(0x1ff0, std::span(bytes, 16)));
    EXPECT_FALSE(cache.read_cached(0x1ff8, std::span(bytes, 16))); // needs 0x2000 too
}

} // namespace
} // namespace kdive::target
