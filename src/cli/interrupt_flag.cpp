// The handler only sets a flag: everything else happens in the waiting loop.
#include "cli/interrupt_flag.hpp"

namespace kdive::cli {

namespace {

volatile std::sig_atomic_t interrupt_requested = 0;

void on_sigint(int) {
    interrupt_requested = 1;
}

} // namespace

SigintWatcher::SigintWatcher() {
    struct sigaction action {};
    action.sa_handler = on_sigint;
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0;
    sigaction(SIGINT, &action, &previous_);
}

SigintWatcher::~SigintWatcher() {
    sigaction(SIGINT, &previous_, nullptr);
}

bool take_interrupt_request() {
    if (interrupt_requested == 0)
        return false;
    interrupt_requested = 0;
    return true;
}

} // namespace kdive::cli
