// Whole-page cache of target memory, valid only while the target stays stopped.
#pragma once

#include "support/error.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <unordered_map>
#include <vector>

namespace kdive::target {

class PageCache {
public:
    // Fills one whole page starting at a page-aligned address.
    using PageReader = std::function<Result<>(std::uint64_t page, std::span<std::uint8_t> out)>;

    explicit PageCache(std::size_t page_size = 4096, std::size_t max_pages = 16384);

    // Copies [address, address+out.size()) from cached pages, fetching the missing ones whole.
    Result<> read(std::uint64_t address, std::span<std::uint8_t> out, const PageReader& reader);
    // Copies from cached pages, or from one stored range holding all of it; false (nothing
    // copied) when neither has every byte.
    bool read_cached(std::uint64_t address, std::span<std::uint8_t> out);
    // Keeps bytes read outside whole pages (exact-range reads) for the same stop.
    void store_range(std::uint64_t address, std::span<const std::uint8_t> bytes);
    void clear() {
        pages_.clear();
        ranges_.clear();
        range_bytes_ = 0;
    }

    std::size_t hits() const { return hits_; }
    std::size_t misses() const { return misses_; }
    std::size_t page_size() const { return page_size_; }

private:
    std::size_t page_size_;
    std::size_t max_pages_;
    std::unordered_map<std::uint64_t, std::unique_ptr<std::uint8_t[]>> pages_;
    std::map<std::uint64_t, std::vector<std::uint8_t>> ranges_; // by start address
    std::size_t range_bytes_ = 0;
    std::size_t hits_ = 0;
    std::size_t misses_ = 0;
};

} // namespace kdive::target
