// Finds the bzImage and vmlinux that `--kernel NAME|BZIMAGE` refers to.
#pragma once

#include "support/error.hpp"

#include <filesystem>
#include <string>

namespace kdive::lab {

struct BootKernel {
    std::filesystem::path bzimage;
    std::filesystem::path vmlinux; // empty when none is known
};

// A path to an existing file is a bzImage (a vmlinux beside it is picked up); anything else is
// the name of a fetched kernel in the cache.
Result<BootKernel> resolve_boot_kernel(const std::string& kernel);

} // namespace kdive::lab
