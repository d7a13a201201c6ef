// gzip/zstd compression of archives and xz/zstd decompression of kernel modules.
#pragma once

#include "support/error.hpp"

#include <string>
#include <string_view>

namespace kdive::lab {

enum class Compression { None, Gzip, Zstd };

Result<Compression> parse_compression(std::string_view name);

// Compresses deterministically (no timestamps or names in the gzip header).
Result<std::string> compress(std::string_view data, Compression method);

// Decompresses by content: xz and zstd frames are recognised by their magic; anything else is
// returned unchanged. `what` names the input in errors.
Result<std::string> decompress_module(std::string_view data, std::string_view what);

} // namespace kdive::lab
