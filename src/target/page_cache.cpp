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
            if (auto ok = reader(page, std::span<std::uint8_t>(bytes.get(), page_size_)); !ok)
                return ok;
            // A full cache is simply forgotten: a stop rarely touches this many pages.
            if (pages_.size() >= max_pages_)
                pages_.clear();
            found = pages_.emplace(page, std::move(bytes)).first;
        } else {
            ++hits_;
        }
        std::memcpy(out.data() + done, found->second.get() + offset, length);
        done += length;
    }
    return {};
}

} // namespace kdive::target
