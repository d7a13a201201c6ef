// Ctrl-C while the guest runs, and SIGTERM/SIGHUP at any time: handlers that only record the
// request, so the command in progress ends and the normal way out (detach) still runs.
#pragma once

#include <csignal>

namespace kdive::cli {

// Installs the SIGINT handler for its lifetime (without SA_RESTART, so blocking reads wake up).
class SigintWatcher {
public:
    SigintWatcher();
    ~SigintWatcher();
    SigintWatcher(const SigintWatcher&) = delete;
    SigintWatcher& operator=(const SigintWatcher&) = delete;

private:
    struct sigaction previous_ {};
};

// True once per Ctrl-C since the last call.
bool take_interrupt_request();

// Installs SIGTERM and SIGHUP handlers for its lifetime. The first such signal asks kdive to
// stop: it also counts as a Ctrl-C, so a running `continue` interrupts the guest, and the
// caller stops taking commands and detaches. A second one ends kdive at once.
class TerminationWatcher {
public:
    TerminationWatcher();
    ~TerminationWatcher();
    TerminationWatcher(const TerminationWatcher&) = delete;
    TerminationWatcher& operator=(const TerminationWatcher&) = delete;

private:
    struct sigaction previous_term_ {};
    struct sigaction previous_hup_ {};
};

// The signal that asked kdive to stop, or 0.
int termination_signal();

} // namespace kdive::cli
