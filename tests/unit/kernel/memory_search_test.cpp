// The matcher behind `search`: strings anywhere, values only at multiples of their size counted
// from the address the bytes sit at, overlapping and edge matches.
#include "kernel/memory_search.hpp"

#include <gtest/gtest.h>

namespace kdive::kernel {
namespace {

std::vector<std::byte> bytes_of(std::string_view text) {
    std::vector<std::byte> out;
    for (const char c : text) {
        out.push_back(static_cast<std::byte>(c));
    }
    return out;
}

TEST(MemorySearch, StringsAnywhereOverlappingAndAtTheEdges) {
    SearchPattern pattern{bytes_of("aba"), 1};
    const auto memory = bytes_of("abababa-aba");
    EXPECT_EQ(find_pattern(memory, 0x1000, pattern), (std::vector<std::size_t>{0, 2, 4, 8}));
    EXPECT_TRUE(find_pattern(bytes_of("ab"), 0, pattern).empty());
    EXPECT_TRUE(find_pattern(memory, 0, SearchPattern{}).empty());
}

TEST(MemorySearch, ValuesOnlyAtTheirAlignment) {
    // 0x1122334455667788 little-endian at offsets 3 (unaligned) and 16 (aligned to 8).
    std::vector<std::byte> memory(32, std::byte{0});
    const std::uint64_t value = 0x1122334455667788ull;
    for (std::size_t at : {std::size_t{3}, std::size_t{16}}) {
        for (std::size_t i = 0; i < 8; ++i) {
            memory[at + i] = static_cast<std::byte>(value >> (8 * i));
        }
    }
    SearchPattern pattern;
    for (std::size_t i = 0; i < 8; ++i) {
        pattern.bytes.push_back(static_cast<std::byte>(value >> (8 * i)));
    }
    pattern.alignment = 8;
    EXPECT_EQ(find_pattern(memory, 0x1000, pattern), (std::vector<std::size_t>{16}));
    // The same bytes placed at an address 5 past an 8-byte boundary: offset 3 is aligned now.
    EXPECT_EQ(find_pattern(memory, 0x1005, pattern), (std::vector<std::size_t>{3}));
    pattern.alignment = 1;
    EXPECT_EQ(find_pattern(memory, 0x1000, pattern), (std::vector<std::size_t>{3, 16}));
}

} // namespace
} // namespace kdive::kernel
