// The running kernel's banner against the vmlinux's: a mismatch makes every other answer wrong.
#pragma once

#include "kernel/kernel.hpp"

#include <string>

namespace kdive::kernel {

struct KernelVersion {
    std::string running_banner; // linux_banner in guest memory ("Linux version ...")
    std::string file_banner;    // linux_banner as stored in the vmlinux
    std::string release;        // init_uts_ns.name.release in guest memory ("6.1.0-50-cloud-amd64")
    bool matches() const { return running_banner == file_banner; }
};

// The banner as linked into the vmlinux file (no target needed).
Result<std::string> file_banner(debuginfo::DebugInfo& info);
// Reads both banners; the release only if the banners match (its address would be wrong otherwise).
Result<KernelVersion> read_kernel_version(Kernel& kernel);
// The message shown when they differ.
std::string mismatch_message(const KernelVersion& version);

} // namespace kdive::kernel
