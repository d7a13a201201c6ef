// ELF vmcores: QEMU's dump-guest-memory output (paging on or off) and the kernel's /proc/vmcore
// as kdump saves it. Physical memory comes from the PT_LOAD segments' p_paddr ranges.
#pragma once

#include "target/core_file.hpp"

namespace kdive::target {

Result<std::unique_ptr<CoreFile>> open_elf_core_file(const std::filesystem::path& path);

} // namespace kdive::target
