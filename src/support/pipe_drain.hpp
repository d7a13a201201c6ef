// Reads a child's stdout and stderr pipes together, so neither fills up and blocks it.
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace kdive {

// Reads both pipes until their writers are gone, or until the deadline passes (then returns
// false). The caller closes the descriptors.
bool drain_pipes(int out_fd, int err_fd, std::string& out, std::string& err,
                 std::optional<std::chrono::steady_clock::time_point> deadline = std::nullopt);

} // namespace kdive
