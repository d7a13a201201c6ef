// Addresses are "0x…" strings in JSON, sizes plain numbers; guest names go through json_text or
// terminal_text where they are placed.
#include "cli/memory_output.hpp"

#include "support/guest_text.hpp"

#include <fmt/core.h>
#include <nlohmann/json.hpp>

namespace kdive::cli {

namespace {

using Json = nlohmann::json;

std::string hex(std::uint64_t value) {
    return fmt::format("{:#x}", value);
}

// crash's SSIZE column: the slab's size in KiB, "8k".
std::string slab_size(const kernel::SlabCache& cache) {
    return fmt::format("{}k", cache.pages_per_slab * 4);
}

} // namespace

std::string slab_caches_json(const std::vector<kernel::SlabCache>& caches) {
    Json out = Json::array();
    for (const auto& cache : caches) {
        out.push_back({{"name", json_text(cache.name)},
                       {"address", hex(cache.address)},
                       {"object_size", cache.object_size},
                       {"size", cache.size},
                       {"objects", cache.objects},
                       {"active_objects", cache.active_objects},
                       {"slabs", cache.slabs},
                       {"objects_per_slab", cache.objects_per_slab},
                       {"pages_per_slab", cache.pages_per_slab}});
    }
    return out.dump();
}

std::string slab_caches_text(const std::vector<kernel::SlabCache>& caches) {
    std::string out = fmt::format("{:<18} {:>7} {:>9} {:>9} {:>7} {:>5}  {}\n", "CACHE", "OBJSIZE",
                                  "ALLOCATED", "TOTAL", "SLABS", "SSIZE", "NAME");
    for (const auto& cache : caches) {
        out += fmt::format("{:<18x} {:>7} {:>9} {:>9} {:>7} {:>5}  {}\n", cache.address, cache.size,
                           cache.active_objects, cache.objects, cache.slabs, slab_size(cache),
                           terminal_text(cache.name, TerminalText::field));
    }
    return out;
}

} // namespace kdive::cli
