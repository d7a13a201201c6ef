// Memory is read in 1 MiB chunks, and page by page where a chunk cannot be read (a hole in RAM,
// a page not present), so one bad page never hides its neighbours. The last bytes of each
// chunk are kept so a string that crosses a chunk boundary is still found; a gap drops them.
// The kernel's default space is the direct map read physically (all of RAM, fast), then the
// image and the modules read virtually.
#include "kernel/memory_search.hpp"

#include "kernel/address_space.hpp"
#include "kernel/module_list.hpp"
#include "kernel/page_info.hpp"
#include "kernel/task_details.hpp"

#include <algorithm>
#include <cstring>
#include <functional>

namespace kdive::kernel {

namespace {

constexpr std::uint64_t chunk_size = std::uint64_t{1} << 20;
constexpr std::uint64_t default_kernel_span = std::uint64_t{1} << 30;

class Scanner {
public:
    Scanner(const SearchPattern& pattern, const SearchRequest& request, SearchResult& result)
        : pattern_(pattern), request_(request), result_(result) {}

    // True when the search must end (enough hits, or interrupted).
    bool done() {
        if (result_.stopped) {
            return true;
        }
        if (result_.hits.size() >= request_.max_hits) {
            result_.stopped = true;
            result_.stopped_why = fmt::format("stopped at {} hits", request_.max_hits);
        } else if (request_.interrupted && request_.interrupted()) {
            result_.stopped = true;
            result_.stopped_why = "interrupted";
        }
        return result_.stopped;
    }

    // `bytes` at `address`; `physical_delta` turns an address of this run into a physical one.
    void feed(std::uint64_t address, std::span<const std::byte> bytes,
              std::optional<std::uint64_t> physical_delta) {
        if (carry_.empty() || carry_end_ != address || physical_delta != delta_) {
            carry_.clear();
        }
        delta_ = physical_delta;
        std::vector<std::byte> joined;
        std::span<const std::byte> window = bytes;
        std::uint64_t base = address;
        if (!carry_.empty()) {
            joined.reserve(carry_.size() + bytes.size());
            joined.insert(joined.end(), carry_.begin(), carry_.end());
            joined.insert(joined.end(), bytes.begin(), bytes.end());
            window = joined;
            base = address - carry_.size();
        }
        for (const std::size_t offset : find_pattern(window, base, pattern_)) {
            if (result_.hits.size() >= request_.max_hits) {
                break;
            }
            const std::uint64_t at = base + offset;
            result_.hits.push_back({at, delta_ ? at - *delta_ : 0});
        }
        result_.bytes_searched += bytes.size();
        const std::size_t keep = std::min(window.size(), pattern_.bytes.size() - 1);
        carry_.assign(window.end() - static_cast<std::ptrdiff_t>(keep), window.end());
        carry_end_ = address + bytes.size();
    }

private:
    const SearchPattern& pattern_;
    const SearchRequest& request_;
    SearchResult& result_;
    std::vector<std::byte> carry_;
    std::uint64_t carry_end_ = 0;
    std::optional<std::uint64_t> delta_;
};

using Reader = std::function<Result<std::vector<std::byte>>(std::uint64_t, std::size_t)>;

// [start, end) through `read`, chunk by chunk, page by page where a chunk fails.
void scan_range(Scanner& scanner, const Reader& read, std::uint64_t start, std::uint64_t end,
                std::optional<std::uint64_t> physical_delta) {
    for (std::uint64_t at = start; at < end && at >= start;) {
        if (scanner.done()) {
            return;
        }
        const std::uint64_t length = std::min(end - at, chunk_size - (at % chunk_size));
        if (auto bytes = read(at, length)) {
            scanner.feed(at, *bytes, physical_delta);
        } else {
            for (std::uint64_t page = at; page < at + length;) {
                const std::uint64_t piece =
                    std::min(at + length - page, page_bytes - (page % page_bytes));
                if (auto piece_bytes = read(page, piece)) {
                    scanner.feed(page, *piece_bytes, physical_delta);
                }
                page += piece;
            }
        }
        at += length;
    }
}

Result<> search_physical(Kernel& kernel, Scanner& scanner, const SearchRequest& request) {
    if (kernel.physical() == nullptr) {
        return fail_as(ErrorKind::unsupported, "this target has no physical memory reads");
    }
    auto pages = PageMap::load(kernel);
    if (!pages) {
        return std::unexpected(pages.error());
    }
    // RAM's PFNs: arm64 boards put RAM above 0 (at 1 GiB on QEMU's virt), below it is I/O.
    const std::uint64_t end = request.end.value_or(pages->max_pfn() * pages->page_size());
    const Reader read = [&](std::uint64_t at, std::size_t length) {
        return kernel.physical()->read_physical(at, length);
    };
    scan_range(scanner, read, request.start.value_or(pages->min_pfn() * pages->page_size()), end,
               0);
    return {};
}

Result<> search_kernel(Kernel& kernel, Scanner& scanner, const SearchRequest& request) {
    const Reader read_virtual = [&](std::uint64_t at,
                                    std::size_t length) -> Result<std::vector<std::byte>> {
        auto record = kernel.read(at, length);
        if (!record) {
            return std::unexpected(record.error());
        }
        return std::vector<std::byte>(record->bytes().begin(), record->bytes().end());
    };
    if (request.start || request.end) {
        // Without an end, a gigabyte: the kernel half is too large to walk page by page.
        const std::uint64_t start = request.start.value_or(0);
        scan_range(scanner, read_virtual, start, request.end.value_or(start + default_kernel_span),
                   std::nullopt);
        return {};
    }
    if (kernel.physical() != nullptr) {
        auto pages = PageMap::load(kernel);
        if (!pages) {
            return std::unexpected(pages.error());
        }
        // The direct map's address less `delta` is the physical one.
        const std::uint64_t start = pages->pfn_to_virtual(pages->min_pfn());
        const std::uint64_t delta = start - pages->min_pfn() * pages->page_size();
        const Reader read_direct = [&](std::uint64_t at, std::size_t length) {
            return kernel.physical()->read_physical(at - delta, length);
        };
        scan_range(scanner, read_direct, start, pages->pfn_to_virtual(pages->max_pfn()), delta);
    }
    auto text = kernel.address_of("_text");
    auto end = kernel.address_of("_end");
    if (!text || !end) {
        return std::unexpected(!text ? text.error() : end.error());
    }
    scan_range(scanner, read_virtual, *text, *end, std::nullopt);
    auto modules = list_modules(kernel);
    if (!modules) {
        return std::unexpected(modules.error());
    }
    for (const auto& module : *modules) {
        for (const auto& region : module.regions) {
            scan_range(scanner, read_virtual, region.base, region.base + region.size, std::nullopt);
        }
    }
    return {};
}

Result<> search_user(Kernel& kernel, Scanner& scanner, const SearchRequest& request) {
    auto tables = UserPageTables::of_task(kernel, request.task);
    if (!tables) {
        return std::unexpected(tables.error());
    }
    auto space = read_address_space(kernel, request.task);
    if (!space) {
        return std::unexpected(space.error());
    }
    const Reader read_user = [&](std::uint64_t at, std::size_t length) {
        return read_user_memory(kernel, *tables, at, at + length);
    };
    for (const auto& mapping : space->mappings) {
        const std::uint64_t start = std::max(mapping.start, request.start.value_or(0));
        const std::uint64_t end = std::min(mapping.end, request.end.value_or(mapping.end));
        if (start < end) {
            scan_range(scanner, read_user, start, end, std::nullopt);
        }
    }
    return {};
}

} // namespace

std::vector<std::size_t> find_pattern(std::span<const std::byte> bytes, std::uint64_t base,
                                      const SearchPattern& pattern) {
    std::vector<std::size_t> found;
    const std::size_t size = pattern.bytes.size();
    if (size == 0 || bytes.size() < size) {
        return found;
    }
    const std::size_t align = std::max<std::size_t>(pattern.alignment, 1);
    if (align == 1) {
        auto at = bytes.begin();
        while (true) {
            at = std::search(at, bytes.end(), pattern.bytes.begin(), pattern.bytes.end());
            if (at == bytes.end()) {
                break;
            }
            found.push_back(static_cast<std::size_t>(at - bytes.begin()));
            ++at;
        }
        return found;
    }
    std::size_t offset = (align - base % align) % align;
    for (; offset + size <= bytes.size(); offset += align) {
        if (std::memcmp(bytes.data() + offset, pattern.bytes.data(), size) == 0) {
            found.push_back(offset);
        }
    }
    return found;
}

Result<SearchResult> search_memory(Kernel& kernel, const SearchPattern& pattern,
                                   const SearchRequest& request) {
    if (pattern.bytes.empty()) {
        return fail_as(ErrorKind::invalid_input, "search: nothing to search for");
    }
    if (request.start && request.end && *request.end <= *request.start) {
        return fail_as(ErrorKind::invalid_input,
                       "search: the end {:#x} is not above the start {:#x}", *request.end,
                       *request.start);
    }
    SearchResult result;
    Scanner scanner(pattern, request, result);
    Result<> ok;
    switch (request.space) {
    case SearchSpace::physical:
        ok = search_physical(kernel, scanner, request);
        break;
    case SearchSpace::kernel:
        ok = search_kernel(kernel, scanner, request);
        break;
    case SearchSpace::user:
        ok = search_user(kernel, scanner, request);
        break;
    }
    if (!ok) {
        return std::unexpected(ok.error());
    }
    (void)scanner.done(); // records a cap reached by the last chunk
    return result;
}

} // namespace kdive::kernel
