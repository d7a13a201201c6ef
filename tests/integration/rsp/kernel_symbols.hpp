// Addresses from the test kernel's System.map, the reference the debugger's answers are checked
// against.
#pragma once

#include "support/error.hpp"

#include <cstdint>
#include <filesystem>
#include <string>

namespace kdive::testing {

// System.map of the kernel under test: beside a bzImage given by path, else in the kernel cache.
std::filesystem::path system_map_of(const std::string& kernel);
Result<std::uint64_t> symbol_address(const std::string& kernel, const std::string& name);

} // namespace kdive::testing
