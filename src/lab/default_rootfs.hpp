// The BusyBox rootfs used when a boot names no initrd.
#pragma once

#include "support/error.hpp"

#include <filesystem>

namespace kdive::lab {

// Writes the default kdive rootfs (gzip) to `path`.
Result<> write_default_rootfs(const std::filesystem::path& path);

} // namespace kdive::lab
