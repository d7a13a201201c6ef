// The BusyBox rootfs used when a boot names no initrd.
#pragma once

#include "lab/kernel_arch.hpp"
#include "support/error.hpp"

#include <filesystem>
#include <functional>
#include <string_view>
#include <vector>

namespace kdive::lab {

// Modules of the kernel beside `vmlinux` that the default rootfs loads: qemu_fw_cfg, through
// which the kernel hands VMCOREINFO to QEMU's vmcoreinfo device so dumps carry it. Empty when
// the kernel has no such module (built in, absent, or no modules folder).
std::vector<std::filesystem::path> default_rootfs_modules(const std::filesystem::path& vmlinux);

// Writes the default kdive rootfs (gzip) to `path`, loading `modules` at boot, with the busybox
// of an `arch` guest (busybox_for: fetched once when it is not the host's architecture; `say`
// hears of that).
Result<> write_default_rootfs(const std::filesystem::path& path,
                              const std::vector<std::filesystem::path>& modules = {},
                              KernelArch arch = KernelArch::amd64,
                              const std::function<void(std::string_view)>& say = {});

} // namespace kdive::lab
