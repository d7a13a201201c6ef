// The BusyBox rootfs used when a boot names no initrd.
#pragma once

#include "support/error.hpp"

#include <filesystem>
#include <vector>

namespace kdive::lab {

// Modules of the kernel beside `vmlinux` that the default rootfs loads: qemu_fw_cfg, through
// which the kernel hands VMCOREINFO to QEMU's vmcoreinfo device so dumps carry it. Empty when
// the kernel has no such module (built in, absent, or no modules folder).
std::vector<std::filesystem::path> default_rootfs_modules(const std::filesystem::path& vmlinux);

// Writes the default kdive rootfs (gzip) to `path`, loading `modules` at boot.
Result<> write_default_rootfs(const std::filesystem::path& path,
                              const std::vector<std::filesystem::path>& modules = {});

} // namespace kdive::lab
