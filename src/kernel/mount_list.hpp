// The mounts of a mount namespace, as /proc/mounts lists them: device, mount point, type.
#pragma once

#include "kernel/kernel.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace kdive::kernel {

struct MountInfo {
    std::uint64_t mount = 0; // struct mount address
    std::string device;      // mnt_devname
    std::string path;        // where it is mounted, from the namespace's root
    std::string type;        // the file system type's name
};

// Mounts of the namespace of `task` (0: init, pid 1) that its root reaches, in mount order, with
// paths relative to that root — what the task would read in /proc/mounts.
Result<std::vector<MountInfo>> list_mounts(Kernel& kernel, std::uint64_t task = 0);

} // namespace kdive::kernel
