// A task's signals as /proc/PID/status and crash's sig show them: pending (its own and its
// thread group's), blocked, ignored and caught masks, and each caught signal's handler.
#pragma once

#include "kernel/kernel.hpp"
#include "support/error.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace kdive::kernel {

struct SignalHandler {
    int signal = 0;
    std::uint64_t handler = 0; // user address; 0 SIG_DFL, 1 SIG_IGN
    std::uint64_t flags = 0;   // sa_flags
    std::uint64_t mask = 0;    // sa_mask
};

struct SignalState {
    // Bit N-1 is signal N, as /proc/PID/status prints them (SigPnd, ShdPnd, SigBlk, SigIgn,
    // SigCgt).
    std::uint64_t pending = 0, shared_pending = 0, blocked = 0, ignored = 0, caught = 0;
    std::vector<SignalHandler> handlers; // the caught and ignored ones, by signal number
};

Result<SignalState> read_signal_state(Kernel& kernel, std::uint64_t task);

// "SIGUSR1", "SIGRTMIN+3".
std::string signal_name(int signal);

} // namespace kdive::kernel
