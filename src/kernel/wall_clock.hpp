// The guest's wall clock: the timekeeper's xtime_sec (CLOCK_REALTIME seconds), for turning
// times since boot into dates as crash's `log -T` and `dmesg -T` do.
#pragma once

#include "kernel/kernel.hpp"
#include "support/error.hpp"

#include <cstdint>

namespace kdive::kernel {

// Seconds since the epoch, as the guest's timekeeping last updated them.
Result<std::int64_t> read_wall_seconds(Kernel& kernel);

} // namespace kdive::kernel
