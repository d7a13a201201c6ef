// Devices as /proc/devices and lspci's basic view list them: the character and block device
// majors registered with their names, and the PCI devices on every bus.
#pragma once

#include "kernel/kernel.hpp"
#include "support/error.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace kdive::kernel {

struct DeviceMajor {
    unsigned major = 0;
    std::string name;
};

// In /proc/devices order: by major, registrations of one major in their hash chain's order.
Result<std::vector<DeviceMajor>> read_char_devices(Kernel& kernel);
Result<std::vector<DeviceMajor>> read_block_devices(Kernel& kernel);

struct PciDevice {
    std::uint64_t dev = 0; // struct pci_dev
    unsigned domain = 0, bus = 0, slot = 0, function = 0;
    unsigned vendor = 0, device = 0;
    std::uint32_t class_code = 0; // class, subclass, programming interface
};

// Depth first from pci_root_buses, each bus's devices in its list order.
Result<std::vector<PciDevice>> read_pci_devices(Kernel& kernel);

} // namespace kdive::kernel
