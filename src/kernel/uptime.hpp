// Time since boot from jiffies, with HZ derived from the kernel's own initial jiffies value.
#pragma once

#include "kernel/kernel.hpp"

#include <cstdint>

namespace kdive::kernel {

struct Uptime {
    std::uint64_t jiffies = 0; // jiffies_64 now
    unsigned hz = 0;
    double seconds = 0;
};

// INITIAL_JIFFIES is (unsigned int)(-300 * HZ): jiffies_64 wraps five minutes after boot so
// overflow bugs show early. Its link-time value in the vmlinux therefore tells HZ, and the
// difference to the running value the time since boot.
Result<Uptime> read_uptime(Kernel& kernel);
// HZ from INITIAL_JIFFIES; 0 when the value is not of that form.
unsigned hz_from_initial_jiffies(std::uint64_t initial);

} // namespace kdive::kernel
