// Maps the files of unpacked Debian kernel packages onto kdive's fixed kernel folder layout:
// bzImage, vmlinux, config, System.map, modules/, modules-dbg/.
#pragma once

#include "support/error.hpp"

#include <filesystem>
#include <string>
#include <vector>

namespace kdive::lab {

// Archive members worth extracting from any of a kernel's packages, every layout included.
std::vector<std::string> kernel_layout_members(const std::string& release);

// Moves the kernel's files from `unpacked` (a root the packages were extracted into) into `out`.
// Fails naming the file that no package provided or that is not what it should be.
Result<> assemble_kernel_layout(const std::filesystem::path& unpacked, const std::string& release,
                                const std::filesystem::path& out);

} // namespace kdive::lab
