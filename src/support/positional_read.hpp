// Reading an exact byte range of an open file at an offset (pread), as dump readers do for
// every header and page: interrupted reads resume, a file that ends early is an error of kind
// `corrupt` naming the offset.
#pragma once

#include "support/error.hpp"

#include <cstdint>
#include <filesystem>
#include <span>

namespace kdive {

Result<> read_exactly_at(int fd, std::uint64_t offset, std::span<std::uint8_t> out,
                         const std::filesystem::path& path);

} // namespace kdive
