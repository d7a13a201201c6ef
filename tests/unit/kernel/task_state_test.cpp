// Task state letters as /proc/PID/stat shows them, from __state/exit_state bit patterns.
#include "kernel/task_state.hpp"
#include "kernel/uptime.hpp"

#include <gtest/gtest.h>

namespace kdive::kernel {
namespace {

TEST(TaskState, LettersFollowTheKernelsReportBits) {
    EXPECT_EQ(task_state_letter(0x0000, 0), 'R');
    EXPECT_EQ(task_state_letter(0x0001, 0), 'S');
    EXPECT_EQ(task_state_letter(0x0002, 0), 'D');
    EXPECT_EQ(task_state_letter(0x0104, 0), 'T'); // TASK_STOPPED = WAKEKILL | __TASK_STOPPED
    EXPECT_EQ(task_state_letter(0x0008, 0), 't');
    EXPECT_EQ(task_state_letter(0x0080, 0x10), 'X'); // TASK_DEAD with EXIT_DEAD
    EXPECT_EQ(task_state_letter(0x0080, 0x20), 'Z'); // TASK_DEAD with EXIT_ZOMBIE
    EXPECT_EQ(task_state_letter(0x0040, 0), 'P');
}

TEST(TaskState, IdleFrozenAndRtlockWaiters) {
    EXPECT_EQ(task_state_letter(0x0402, 0), 'I'); // TASK_IDLE = UNINTERRUPTIBLE | NOLOAD
    EXPECT_EQ(task_state_letter(0x0400, 0), 'R'); // NOLOAD alone is not idle
    EXPECT_EQ(task_state_letter(0x1000, 0), 'D'); // TASK_RTLOCK_WAIT
    EXPECT_EQ(task_state_letter(0x8000, 0), 'D'); // TASK_FROZEN
    EXPECT_EQ(task_state_letter(0x0101, 0), 'S'); // TASK_KILLABLE-style extra bits are ignored
}

TEST(Uptime, HzFromInitialJiffies) {
    const auto initial = [](unsigned hz) {
        return static_cast<std::uint64_t>(static_cast<std::uint32_t>(-300 * static_cast<int>(hz)));
    };
    for (unsigned hz : {100u, 250u, 300u, 1000u}) {
        EXPECT_EQ(hz_from_initial_jiffies(initial(hz)), hz) << hz;
    }
    EXPECT_EQ(hz_from_initial_jiffies(0), 0u);
    EXPECT_EQ(hz_from_initial_jiffies(12345), 0u);
    EXPECT_EQ(hz_from_initial_jiffies(std::uint64_t{1} << 40), 0u);
}

} // namespace
} // namespace kdive::kernel
