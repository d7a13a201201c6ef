// Whole-page cache of target memory, valid only while the target stays stopped.
#pragma once

#include "support/error.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <unordered_map>

namespace kdive::target {

class PageCache {
public:
    // Fills one whole page starting at a page-aligned address.
    using PageReader = std::function<Result<>(std::uint64_t page, std::span<std::uint8_t> out)>;

    explicit PageCache(std::size_t page_size = 4096, std::size_t max_pages = 16384);

    // Copies [address, address+out.size()) from cached pages, fetching the missing ones whole.
    Result<> read(std::uint64_t address, std::span<std::uint8_t> out, const PageReader& reader);
    void clear() { pages_.clear(); }

    std::size_t hits() const { return hits_; }
    std::size_t misses() const { return misses_; }
    std::size_t page_size() const { return page_size_; }

private:
    std::size_t page_size_;
    std::size_t max_pages_;
    std::unordered_map<std::uint64_t, std::unique_ptr<std::uint8_t[]>> pages_;
    std::size_t hits_ = 0;
    std::size_t misses_ = 0;
};

} // namespace kdive::target
