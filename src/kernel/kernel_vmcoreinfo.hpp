// The VMCOREINFO a running kernel keeps for kdump (vmcoreinfo_data), read from its memory: the
// layout facts it publishes for dump tools (VA_BITS, PHYS_OFFSET, VMEMMAP_START...).
#pragma once

#include "kernel/kernel.hpp"
#include "support/error.hpp"
#include "target/vmcore_info.hpp"

namespace kdive::kernel {

// An error naming the variable when the kernel has none (no CONFIG_CRASH_CORE / VMCORE_INFO)
// or it cannot be read.
Result<target::VmcoreInfo> read_kernel_vmcoreinfo(Kernel& kernel);

} // namespace kdive::kernel
