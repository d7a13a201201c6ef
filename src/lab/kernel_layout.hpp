// Maps the files of unpacked Debian kernel packages onto kdive's fixed kernel folder layout:
// bzImage (x86) or Image (arm64), vmlinux, config, System.map, modules/, modules-dbg/.
#pragma once

#include "lab/kernel_arch.hpp"
#include "support/error.hpp"

#include <filesystem>
#include <string>
#include <vector>

namespace kdive::lab {

// Archive members worth extracting from any of a kernel's packages, every layout included.
std::vector<std::string> kernel_layout_members(const std::string& release);

// The boot image's file name in a kernel folder: kernel_image_target(arch), "bzImage" or "Image".
std::string kernel_image_file(KernelArch arch);

// Moves the kernel's files from `unpacked` (a root the packages were extracted into) into `out`.
// arm64's vmlinuz (a gzip-compressed Image) is stored inflated as Image: QEMU 7.2 would inflate
// it itself, but only up to 64 MiB, and a raw Image is what a kernel build makes too.
// Fails naming the file that no package provided or that is not what it should be.
Result<> assemble_kernel_layout(const std::filesystem::path& unpacked, const std::string& release,
                                const std::filesystem::path& out,
                                KernelArch arch = KernelArch::amd64);

} // namespace kdive::lab
