// The config fragments kdive ships: `tiny` and `debug`, the recipe's kernel options.
#pragma once

#include "lab/kernel_arch.hpp"
#include "support/error.hpp"

#include <string>
#include <string_view>

namespace kdive::lab {

struct KconfigProfile {
    std::string_view name;
    std::string_view base;     // the make target run first: "tinyconfig", or empty (keep .config)
    std::string_view fragment; // .config lines; @DWARF@ becomes 4 or 5
};

Result<KconfigProfile> find_kconfig_profile(std::string_view name);
// The fragment text with the DWARF version filled in, for `arch`: x86-64's has ORC, ACPI and the
// 8250 UART; arm64's the PL011 UART of QEMU's virt machine and virtio-mmio, and no ORC (arm64
// unwinds with frame pointers, which it always has).
std::string kconfig_profile_text(const KconfigProfile& profile, int dwarf,
                                 KernelArch arch = KernelArch::amd64);

} // namespace kdive::lab
