// Free-space checks before large downloads, so a fetch fails early instead of half-way.
#pragma once

#include "support/error.hpp"

#include <cstdint>
#include <filesystem>
#include <string_view>

namespace kdive::lab {

// Bytes available to us on the filesystem holding `path` (or its nearest existing parent).
Result<std::uint64_t> free_bytes(const std::filesystem::path& path);

// Fails naming the folder, the need and what is free when `needed` bytes are not available.
Result<> require_free_space(const std::filesystem::path& path, std::uint64_t needed,
                            std::string_view purpose);

// "1.2 GB", "350 MB": sizes for messages.
std::string human_size(std::uint64_t bytes);

} // namespace kdive::lab
