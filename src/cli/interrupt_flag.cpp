// The handlers only set flags: everything else happens in the waiting loop or the command loop.
#include "cli/interrupt_flag.hpp"

namespace kdive::cli {

namespace {

volatile std::sig_atomic_t interrupt_requested = 0;
volatile std::sig_atomic_t terminate_signal = 0;

void on_sigint(int) {
    interrupt_requested = 1;
}

void on_termination(int sig) {
    if (terminate_signal != 0) {
        // Asked twice: the user no longer waits for the detach. Both calls are
        // async-signal-safe.
        std::signal(sig, SIG_DFL);
        std::raise(sig);
        return;
    }
    terminate_signal = sig;
    interrupt_requested = 1;
}

void install(int sig, void (*handler)(int), struct sigaction* previous) {
    struct sigaction action {};
    action.sa_handler = handler;
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0;
    sigaction(sig, &action, previous);
}

} // namespace

SigintWatcher::SigintWatcher() {
    install(SIGINT, on_sigint, &previous_);
}

SigintWatcher::~SigintWatcher() {
    sigaction(SIGINT, &previous_, nullptr);
}

bool take_interrupt_request() {
    if (interrupt_requested == 0) {
        return false;
    }
    interrupt_requested = 0;
    return true;
}

TerminationWatcher::TerminationWatcher() {
    install(SIGTERM, on_termination, &previous_term_);
    install(SIGHUP, on_termination, &previous_hup_);
}

TerminationWatcher::~TerminationWatcher() {
    sigaction(SIGTERM, &previous_term_, nullptr);
    sigaction(SIGHUP, &previous_hup_, nullptr);
}

int termination_signal() {
    return terminate_signal;
}

} // namespace kdive::cli
