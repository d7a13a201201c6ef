// Writes any CoreFile as a plain makedumpfile kdump-compressed dump (header version 6, 4 KiB
// blocks), the format crash and makedumpfile read.
#pragma once

#include "target/core_file.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string_view>

namespace kdive::target {

enum class KdumpCompression { zlib, lzo, snappy, zstd, none };

// "zlib", "lzo", "snappy", "zstd" or "none".
Result<KdumpCompression> parse_kdump_compression(std::string_view name);

// Pages the source cannot read (kind unmapped or corrupt) are left out of the dump; other
// errors stop the write. The file appears under `out` only when whole. `progress` is told the
// pfns walked so far and their total.
Result<>
write_kdump(CoreFile& source, const std::filesystem::path& out, KdumpCompression codec,
            const std::function<void(std::uint64_t done, std::uint64_t total)>& progress = {});

} // namespace kdive::target
