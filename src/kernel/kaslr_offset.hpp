// Where KASLR loaded the kernel image: the offset added to every link-time image address.
#pragma once

#include "eval/memory_reader.hpp"
#include "kernel/kernel.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace kdive::kernel {

struct KaslrResult {
    std::uint64_t offset = 0;
    // how it was found: "none", "VMCOREINFO", "page tables", "banner scan", "VBAR_EL1"
    std::string method;
};

// Finds the offset and checks it: linux_banner must read back at its relocated address.
// `registers` (CR3/CR4 of a vCPU) and the kernel's physical reader are optional; without them
// only the banner scan is tried. `recorded` is the offset a dump's VMCOREINFO gives
// (KERNELOFFSET), tried first.
Result<KaslrResult> detect_kaslr_offset(Kernel& kernel, eval::RegisterReader* registers,
                                        std::optional<std::uint64_t> recorded = std::nullopt);

} // namespace kdive::kernel
