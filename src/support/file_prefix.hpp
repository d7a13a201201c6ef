// The first bytes of a file, for telling its format by its magic numbers.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>

namespace kdive {

// Up to `bytes` bytes from the start of `file`: fewer when it is shorter, none when it cannot be
// read (a magic-number check then fails and names the file).
std::string read_file_prefix(const std::filesystem::path& file, std::size_t bytes);

} // namespace kdive
