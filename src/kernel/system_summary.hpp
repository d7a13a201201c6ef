// The whole system at a glance, as crash's `sys` shows it: the kernel's own utsname, memory,
// load average, task count, CPUs and, when it crashed, the CPU that panicked.
#pragma once

#include "kernel/kernel.hpp"
#include "support/error.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <string>

namespace kdive::kernel {

struct SystemSummary {
    std::string nodename, release, version, machine; // init_uts_ns.name
    std::uint64_t memory_bytes = 0;                  // totalram_pages * PAGE_SIZE
    // /proc/loadavg's three figures, rounded as the kernel rounds them (hundredths).
    std::array<double, 3> load_average{};
};

// Reads utsname, totalram_pages and avenrun; the caller adds tasks, CPUs and uptime, which
// other readers own.
Result<SystemSummary> read_system_summary(Kernel& kernel);

// avenrun's fixed point (FSHIFT 11) as /proc/loadavg prints it: rounded to hundredths.
double load_from_fixed_point(std::uint64_t value);

} // namespace kdive::kernel
