// Reads are bounded by poll(); writes block, as a debugger always drains its connection.
#include "rsp/debugger_connection.hpp"

#include <cerrno>
#include <cstring>
#include <poll.h>
#include <unistd.h>

namespace kdive::rsp {

DebuggerConnection::DebuggerConnection(int in, int out, std::string name)
    : in_(in), out_(out), name_(std::move(name)) {}

DebuggerConnection::~DebuggerConnection() {
    ::close(in_);
    if (out_ != in_) {
        ::close(out_);
    }
}

Result<> DebuggerConnection::write_all(std::string_view bytes) {
    while (!bytes.empty()) {
        const ssize_t n = ::write(out_, bytes.data(), bytes.size());
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return fail_as(ErrorKind::transport, "writing to the debugger on {}: {}", name_,
                           n < 0 ? std::strerror(errno) : "closed");
        }
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return {};
}

Result<> DebuggerConnection::send(std::string_view payload) {
    last_reply_ = encode_packet(payload);
    return write_all(last_reply_);
}

Result<DebuggerInput> DebuggerConnection::next(std::chrono::milliseconds wait) {
    const auto deadline = std::chrono::steady_clock::now() + wait;
    for (;;) {
        for (FrameEvent event = decoder_.next(); event.kind != FrameEvent::Kind::need_more;
             event = decoder_.next()) {
            switch (event.kind) {
            case FrameEvent::Kind::packet:
                if (event.error != CodecError::none) {
                    if (!no_ack_) {
                        if (auto ok = write_all("-"); !ok) {
                            return std::unexpected(ok.error());
                        }
                    }
                    continue;
                }
                if (!no_ack_) {
                    if (auto ok = write_all("+"); !ok) {
                        return std::unexpected(ok.error());
                    }
                }
                return DebuggerInput{DebuggerInput::Kind::packet, std::move(event.payload)};
            case FrameEvent::Kind::interrupt:
                return DebuggerInput{DebuggerInput::Kind::interrupt, {}};
            case FrameEvent::Kind::nak:
                if (!no_ack_ && !last_reply_.empty()) {
                    if (auto ok = write_all(last_reply_); !ok) {
                        return std::unexpected(ok.error());
                    }
                }
                continue;
            default:
                continue; // acks, and notifications a debugger never sends
            }
        }
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        pollfd ready{in_, POLLIN, 0};
        const int n = ::poll(&ready, 1, static_cast<int>(std::max<long long>(left.count(), 0)));
        if (n < 0 && errno == EINTR) {
            return DebuggerInput{};
        }
        if (n < 0) {
            return fail_as(ErrorKind::transport, "reading from the debugger on {}: {}", name_,
                           std::strerror(errno));
        }
        if (n == 0) {
            return DebuggerInput{};
        }
        auto room = decoder_.prepare(65536);
        const ssize_t got = ::read(in_, room.data(), room.size());
        if (got < 0 && errno == EINTR) {
            decoder_.commit(0);
            continue;
        }
        if (got <= 0) {
            decoder_.commit(0);
            return DebuggerInput{DebuggerInput::Kind::closed, {}};
        }
        decoder_.commit(static_cast<std::size_t>(got));
    }
}

} // namespace kdive::rsp
