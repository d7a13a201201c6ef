// Stop replies (T, S, W, X) and thread ids ("2", "p1.2", "-1") as plain structs.
#pragma once

#include "support/error.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kdive::rsp {

struct ThreadId {
    static constexpr std::int64_t all = -1;
    static constexpr std::int64_t any = 0;
    std::optional<std::int64_t> pid; // present in the multiprocess "pPID.TID" form
    std::int64_t tid = any;

    // The wire form ("2", "-1", "p1.2").
    std::string to_string() const;
    bool operator==(const ThreadId&) const = default;
};

Result<ThreadId> parse_thread_id(std::string_view text);

enum class WatchKind { none, write, read, access };

struct StopReply {
    enum class Kind {
        signal,     // T/S: stopped (breakpoint, step, interrupt...)
        exited,     // W: the process (for QEMU: the VM) exited with exit_code
        terminated, // X: killed by `signal`
    };
    Kind kind = Kind::signal;
    int signal = 0;
    int exit_code = 0;
    std::optional<ThreadId> thread;
    WatchKind watch = WatchKind::none;
    std::uint64_t watch_address = 0;
    bool software_breakpoint = false; // "swbreak" (only if the client asked for it)
    bool hardware_breakpoint = false; // "hwbreak"
};

Result<StopReply> parse_stop_reply(std::string_view payload);

// True for payloads that are stop replies rather than answers to a request.
bool looks_like_stop_reply(std::string_view payload);

} // namespace kdive::rsp
