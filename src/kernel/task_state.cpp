// The state bits are #defines, absent from debug info; the TASK_REPORT bits (0x01-0x40) and
// TASK_NOLOAD (0x400) have kept their values since 4.14, TASK_RTLOCK_WAIT (0x1000) arrived in
// 5.15 and TASK_FROZEN (0x8000) in 6.1 — both bits unused by older kernels.
#include "kernel/task_state.hpp"

#include <bit>

namespace kdive::kernel {

namespace {

constexpr std::uint64_t task_uninterruptible = 0x0002;
constexpr std::uint64_t task_report = 0x007f; // RUNNING..PARKED, EXIT_DEAD and EXIT_ZOMBIE
constexpr std::uint64_t task_report_idle = 0x0080;
constexpr std::uint64_t task_noload = 0x0400;
constexpr std::uint64_t task_idle = task_uninterruptible | task_noload;
constexpr std::uint64_t task_rtlock_wait = 0x1000;
constexpr std::uint64_t task_frozen = 0x8000;

} // namespace

char task_state_letter(std::uint64_t state, std::uint64_t exit_state) {
    std::uint64_t reported = (state | exit_state) & task_report;
    if ((state & task_idle) == task_idle) {
        reported = task_report_idle;
    }
    // Sleeping on an rtmutex-based lock or frozen shows as D, as the kernel reports it.
    if ((state & task_rtlock_wait) != 0 || (state & task_frozen) != 0) {
        reported = task_uninterruptible;
    }
    static constexpr char letters[] = "RSDTtXZPI";
    const int index = std::bit_width(reported); // fls()
    return index < 9 ? letters[index] : '?';
}

} // namespace kdive::kernel
