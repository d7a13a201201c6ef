// The on-disk DWARF index cache, keyed by build-id and never trusted without checks.
#pragma once

#include "debuginfo/dwarf_index.hpp"
#include "support/error.hpp"

#include <cstdint>
#include <filesystem>
#include <string>

namespace kdive::debuginfo {

// What a cache file must match to be used: the build-id and size of the ELF it indexes.
struct IndexKey {
    std::string build_id;
    std::uint64_t file_size = 0;
};

// <cache_dir>/index/<build-id>.dwarf-index
std::filesystem::path index_cache_path(const std::filesystem::path& cache_root,
                                       const std::string& build_id);

// Fails (with the reason) on a missing, foreign, stale, truncated or corrupt file.
Result<DwarfIndex> load_index_cache(const std::filesystem::path& path, const IndexKey& key);

// Writes through a temporary file and a rename, so readers never see half a file.
Result<> store_index_cache(const std::filesystem::path& path, const IndexKey& key,
                           const DwarfIndex& index);

} // namespace kdive::debuginfo
