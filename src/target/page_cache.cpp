// Round trips, not bytes, are what a stub read costs: fetching the whole page costs about what
// a small read does and serves the neighbouring fields for free.
#include "target/page_cache.hpp"

#include <algorithm>
#include <cstring>

namespace kdive::target {

PageCache::PageCache(std::size_t page_size, std::size_t max_pages)
    : page_size_(page_size), max_pages_(max_pages) {}

Result<> PageCache::read(std::uint64_t address, std::span<std::uint8_t> out,
                         const PageReader& reader) {
    std::size_t done = 0;
    while (done < out.size()) {
        std::uint64_t at = address + done;
        std::uint64_t page = at - at % page_size_;
        std::size_t offset = at - page;
        std::size_t length = std::min(out.size() - done, page_size_ - offset);
        auto found = pages_.find(page);
        if (found == pages_.end()) {
            ++misses_;
            auto bytes = std::make_unique<std::uint8_t[]>(page_size_);
            if (auto ok = reader(page, std::span<std::uint8_t>(bytes.get(), page_size_)); !ok) {
                return ok;
            }
            // A full cache is simply forgotten: a stop rarely touches this many pages.
            if (pages_.size() >= max_pages_) {
                pages_.clear();
            }
            found = pages_.emplace(page, std::move(bytes)).first;
        } else {
            ++hits_;
        }
        std::memcpy(out.data() + done, found->second.get() + offset, length);
        done += length;
    }
    return {};
}

bool PageCache::read_cached(std::uint64_t address, std::span<std::uint8_t> out) {
    // The stored range starting at or before `address` is the only one that can hold it all
    // (ranges are kept as read, never merged).
    if (auto after = ranges_.upper_bound(address); after != ranges_.begin()) {
        const auto& [start, bytes] = *std::prev(after);
        if (address + out.size() <= start + bytes.size()) {
            std::memcpy(out.data(), bytes.data() + (address - start), out.size());
            ++hits_;
            return true;
        }
    }
    for (std::uint64_t page = address - address % page_size_; page < address + out.size();
         page += page_size_) {
        if (!pages_.contains(page)) {
            return false;
        }
    }
    std::size_t done = 0;
    while (done < out.size()) {
        std::uint64_t at = address + done;
        std::uint64_t page = at - at % page_size_;
        std::size_t length = std::min(out.size() - done, page_size_ - (at - page));
        std::memcpy(out.data() + done, pages_.at(page).get() + (at - page), length);
        done += length;
        ++hits_;
    }
    return true;
}

void PageCache::store_range(std::uint64_t address, std::span<const std::uint8_t> bytes) {
    // Bounded like the pages: forgetting costs a re-read, never a wrong answer.
    if (range_bytes_ + bytes.size() > max_pages_ * page_size_) {
        ranges_.clear();
        range_bytes_ = 0;
    }
    auto& stored = ranges_[address];
    range_bytes_ += bytes.size();
    range_bytes_ -= std::min(range_bytes_, stored.size());
    stored.assign(bytes.begin(), bytes.end());
}

} // namespace kdive::target
