// Ctrl-C while the guest runs: a SIGINT handler that only records the request.
#pragma once

#include <csignal>

namespace kdive::cli {

// Installs the handler for its lifetime (without SA_RESTART, so blocking reads wake up).
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

} // namespace kdive::cli
