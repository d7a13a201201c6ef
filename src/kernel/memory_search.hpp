// crash's `search`: where a value or a string sits in memory — physical RAM, the kernel's
// virtual memory (the direct map, image and modules, or a range), or one task's user mappings
// through its own page tables. Absent pages and holes are skipped, not errors.
#pragma once

#include "kernel/kernel.hpp"
#include "support/error.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace kdive::kernel {

struct SearchPattern {
    std::vector<std::byte> bytes; // a little-endian value or a string's bytes
    std::size_t alignment = 1;    // a value is found at multiples of its size only
};

enum class SearchSpace { kernel, user, physical };

struct SearchRequest {
    SearchSpace space = SearchSpace::kernel;
    std::uint64_t task = 0;             // for user searches
    std::optional<std::uint64_t> start; // limits within the space (addresses of that space)
    std::optional<std::uint64_t> end;
    std::size_t max_hits = 10'000;
    // Polled between chunks: true ends the search early (Ctrl-C), with the hits so far.
    std::function<bool()> interrupted;
};

struct SearchHit {
    std::uint64_t address = 0;  // in the space searched
    std::uint64_t physical = 0; // where known (physical and direct-map hits); else 0
};

struct SearchResult {
    std::vector<SearchHit> hits;
    std::uint64_t bytes_searched = 0;
    bool stopped = false; // at max_hits or by interruption: the hits are the first ones
    std::string stopped_why;
};

Result<SearchResult> search_memory(Kernel& kernel, const SearchPattern& pattern,
                                   const SearchRequest& request);

// The offsets in `bytes` where `pattern` starts, at its alignment relative to `base`.
std::vector<std::size_t> find_pattern(std::span<const std::byte> bytes, std::uint64_t base,
                                      const SearchPattern& pattern);

} // namespace kdive::kernel
