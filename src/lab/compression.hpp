// gzip/zstd compression of archives, xz/zstd decompression of kernel modules and gzip
// decompression of kernel images.
#pragma once

#include "support/error.hpp"

#include <string>
#include <string_view>

namespace kdive::lab {

enum class Compression { None, Gzip, Zstd };

Result<Compression> parse_compression(std::string_view name);

// Compresses deterministically (no timestamps or names in the gzip header).
Result<std::string> compress(std::string_view data, Compression method);

// True when `data` starts with gzip's magic bytes.
bool is_gzip(std::string_view data);

// Inflates a gzip stream (Debian's arm64 vmlinuz). With `limit`, stops once that many bytes are
// out and returns them, so a header can be read without inflating the whole file; without it
// the stream must be complete. `what` names the input in errors.
Result<std::string> gunzip(std::string_view data, std::string_view what,
                           std::size_t limit = std::string::npos);

// Decompresses by content: xz and zstd frames are recognised by their magic; anything else is
// returned unchanged. `what` names the input in errors.
Result<std::string> decompress_module(std::string_view data, std::string_view what);

} // namespace kdive::lab
