// Watches a VM's serial console log for a line of text.
#pragma once

#include "support/error.hpp"

#include <chrono>
#include <filesystem>
#include <string_view>
#include <sys/types.h>

namespace kdive::lab {

// The banner BusyBox's shell prints when it starts on the console.
inline constexpr std::string_view shell_banner = "built-in shell (ash)";

// Polls `log` until it contains `needle`. Fails on timeout (with the log's tail) or as soon as
// the QEMU process `pid` (when non-zero) is gone.
Result<> wait_for_console(const std::filesystem::path& log, std::string_view needle,
                          std::chrono::milliseconds timeout, pid_t pid = 0);

} // namespace kdive::lab
