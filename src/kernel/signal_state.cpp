// sigset_t is one unsigned long on x86-64 (64 signals). The handlers are sighand->action[], a
// k_sigaction per signal; SIG_DFL is 0 and SIG_IGN 1, as collect_sigign_sigcatch() reads them.
#include "kernel/signal_state.hpp"

#include <array>

namespace kdive::kernel {

namespace {

constexpr int signal_count = 64;

} // namespace

std::string signal_name(int signal) {
    static const std::array<const char*, 32> names = {
        "0",         "SIGHUP",  "SIGINT",    "SIGQUIT", "SIGILL",   "SIGTRAP", "SIGABRT", "SIGBUS",
        "SIGFPE",    "SIGKILL", "SIGUSR1",   "SIGSEGV", "SIGUSR2",  "SIGPIPE", "SIGALRM", "SIGTERM",
        "SIGSTKFLT", "SIGCHLD", "SIGCONT",   "SIGSTOP", "SIGTSTP",  "SIGTTIN", "SIGTTOU", "SIGURG",
        "SIGXCPU",   "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO",   "SIGPWR",  "SIGSYS"};
    if (signal > 0 && signal < 32) {
        return names[static_cast<std::size_t>(signal)];
    }
    if (signal == 32) {
        return "SIGRTMIN-2"; // glibc keeps 32 and 33 for itself
    }
    if (signal == 33) {
        return "SIGRTMIN-1";
    }
    return fmt::format("SIGRTMIN+{}", signal - 34);
}

Result<SignalState> read_signal_state(Kernel& kernel, std::uint64_t task) {
    SignalState state;
    auto pending = kernel.read_member(task, "task_struct", "pending.signal");
    auto blocked = kernel.read_member(task, "task_struct", "blocked");
    auto signal = kernel.read_member(task, "task_struct", "signal");
    auto sighand = kernel.read_member(task, "task_struct", "sighand");
    for (const auto* value : {&pending, &blocked, &signal, &sighand}) {
        if (!*value) {
            return std::unexpected(value->error());
        }
    }
    state.pending = *pending;
    state.blocked = *blocked;
    if (*signal != 0) {
        auto shared = kernel.read_member(*signal, "signal_struct", "shared_pending.signal");
        if (!shared) {
            return std::unexpected(shared.error());
        }
        state.shared_pending = *shared;
    }
    if (*sighand == 0) {
        return state; // an exiting task has released its handlers
    }
    auto sighand_layout = kernel.layout("sighand_struct");
    auto action_layout = kernel.layout("k_sigaction");
    if (!sighand_layout || !action_layout) {
        return std::unexpected(!sighand_layout ? sighand_layout.error() : action_layout.error());
    }
    auto actions = (*sighand_layout)->require("action");
    auto handler = (*action_layout)->require("sa.sa_handler");
    auto flags = (*action_layout)->require("sa.sa_flags");
    auto mask = (*action_layout)->require("sa.sa_mask");
    for (const auto* field : {&actions, &handler, &flags, &mask}) {
        if (!*field) {
            return std::unexpected(field->error());
        }
    }
    const std::uint64_t stride = (*action_layout)->size();
    auto table = kernel.read(*sighand + actions->offset, stride * signal_count);
    if (!table) {
        return wrap(table.error(), fmt::format("reading the handlers of sighand {:#x}", *sighand));
    }
    for (int number = 1; number <= signal_count; ++number) {
        const std::uint64_t base = stride * static_cast<std::uint64_t>(number - 1);
        SignalHandler entry;
        entry.signal = number;
        entry.handler = table->u64(base + handler->offset);
        entry.flags = table->uint(base + flags->offset, std::min<std::uint64_t>(flags->size, 8));
        entry.mask = table->u64(base + mask->offset);
        const std::uint64_t bit = std::uint64_t{1} << (number - 1);
        if (entry.handler == 1) {
            state.ignored |= bit;
        } else if (entry.handler != 0) {
            state.caught |= bit;
        } else {
            continue;
        }
        state.handlers.push_back(entry);
    }
    return state;
}

} // namespace kdive::kernel
