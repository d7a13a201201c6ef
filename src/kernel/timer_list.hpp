// Pending timers per online CPU, as /proc/timer_list and lx-timerlist show the hrtimers and as
// crash's timer shows the timer wheel: each timer's address, expiry and function.
#pragma once

#include "kernel/kernel.hpp"
#include "support/error.hpp"

#include <cstdint>
#include <vector>

namespace kdive::kernel {

struct PendingTimer {
    unsigned base = 0;         // the clock base (hrtimers) or wheel base (timer_list) index
    std::uint64_t timer = 0;   // struct hrtimer or struct timer_list
    std::uint64_t expires = 0; // nanoseconds of the base's clock (hrtimers), jiffies (wheel)
    std::uint64_t function = 0;
};

struct CpuTimers {
    int cpu = 0;
    std::vector<PendingTimer> hrtimers; // by clock base, soonest first
    std::vector<PendingTimer> timers;   // the wheel, by base and bucket
};

Result<std::vector<CpuTimers>> read_timers(Kernel& kernel);

} // namespace kdive::kernel
