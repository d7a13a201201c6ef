// The network devices of the initial namespace as /proc/net/dev and `ip addr` show them: name,
// index, flags, MTU, hardware address, IPv4 addresses, and packet and byte counters read the
// way the device's ndo_get_stats64 or the core's dev_get_stats() reads them.
#pragma once

#include "kernel/kernel.hpp"
#include "support/error.hpp"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace kdive::kernel {

struct NetDevice {
    std::uint64_t dev = 0; // struct net_device
    std::string name;
    int ifindex = 0;
    std::uint32_t flags = 0; // IFF_*
    std::uint32_t mtu = 0;
    std::string hardware_address;  // "aa:bb:..", empty without one
    std::vector<std::string> ipv4; // "10.0.0.1/24"
    std::uint64_t rx_packets = 0, rx_bytes = 0, tx_packets = 0, tx_bytes = 0;
    // Where the counters came from: "lstats (loopback)", "dev->stats"...; names the driver's
    // function when its own counters could not be read.
    std::string counters;
};

// `function_name` names a code address (vmlinux or module), "" when nothing does: how the
// device's ndo_get_stats64 is recognised.
Result<std::vector<NetDevice>>
read_net_devices(Kernel& kernel, const std::function<std::string(std::uint64_t)>& function_name);

} // namespace kdive::kernel
