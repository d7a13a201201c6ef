// Finds the kernel image (bzImage or arm64 Image), vmlinux and architecture that
// `--kernel NAME|IMAGE` refers to.
#pragma once

#include "lab/kernel_arch.hpp"
#include "support/error.hpp"

#include <filesystem>
#include <string>

namespace kdive::lab {

struct BootKernel {
    std::filesystem::path bzimage; // the image QEMU boots: bzImage, or Image on arm64
    std::filesystem::path vmlinux; // empty when none is known
    KernelArch arch = KernelArch::amd64;
};

// A path to an existing file is a kernel image (a vmlinux beside it, or atop the build folder
// of OUT/arch/{x86,arm64}/boot/IMAGE, is picked up; the architecture comes from the image's
// header, else the vmlinux's ELF machine, else amd64); anything else is the name of a fetched
// kernel in the cache, whose kernel.json names its architecture.
Result<BootKernel> resolve_boot_kernel(const std::string& kernel);

} // namespace kdive::lab
