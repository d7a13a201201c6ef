// Framing discipline over a transport; the stub's lost connection or silence becomes an error.
#include "rsp/rsp_connection.hpp"

#include <algorithm>

namespace kdive::rsp {

namespace {

// Bytes asked of the socket per read: a whole 2 KiB memory reply (4 KiB of hex) and more.
constexpr std::size_t read_size = std::size_t{16} * 1024;

std::chrono::milliseconds remaining(std::chrono::steady_clock::time_point deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    return left.count() < 0 ? std::chrono::milliseconds{0} : left;
}

} // namespace

std::string packet_label(std::string_view payload) {
    constexpr std::size_t limit = 40;
    if (payload.size() <= limit) {
        return std::string(payload);
    }
    return std::string(payload.substr(0, limit)) + "...";
}

RspConnection::RspConnection(std::unique_ptr<Transport> transport, ConnectionOptions options)
    : transport_(std::move(transport)), options_(options), decoder_(options.max_payload) {}

Result<> RspConnection::broken() const {
    if (fatal_) {
        return std::unexpected(*fatal_);
    }
    return {};
}

std::unexpected<Error> RspConnection::give_up(std::string message) {
    fatal_ = Error{std::move(message), ErrorKind::transport};
    return std::unexpected(*fatal_);
}

Result<FrameEvent> RspConnection::next_event(Clock::time_point deadline) {
    for (;;) {
        FrameEvent event = decoder_.next();
        if (event.kind != FrameEvent::Kind::need_more) {
            return event;
        }
        auto wait = remaining(deadline);
        auto n = transport_->read_some(decoder_.prepare(read_size), wait);
        if (!n) {
            Error error = n.error();
            if (decoder_.mid_frame()) {
                error.message += " in the middle of a packet";
            }
            fatal_ = error;
            return std::unexpected(error);
        }
        decoder_.commit(*n);
        if (*n == 0) {
            return FrameEvent{}; // timed out (or a signal arrived): need_more
        }
    }
}

Result<> RspConnection::send(std::string_view payload) {
    if (auto ok = broken(); !ok) {
        return ok;
    }
    std::string frame = encode_packet(payload);
    for (int attempt = 0;; ++attempt) {
        // The ack owed for the previous reply rides in the same write as this request.
        std::string_view bytes = frame;
        std::string with_ack;
        if (ack_pending_) {
            with_ack = "+" + frame;
            bytes = with_ack;
            ack_pending_ = false;
        }
        if (auto written = transport_->write_all(bytes); !written) {
            fatal_ = written.error();
            return written;
        }
        if (no_ack_) {
            return {};
        }
        auto deadline = Clock::now() + options_.reply_timeout;
        for (;;) {
            auto event = next_event(deadline);
            if (!event) {
                return std::unexpected(event.error());
            }
            if (event->kind == FrameEvent::Kind::need_more) {
                // A late ack (and the reply behind it) would answer the next request.
                return give_up(fmt::format("{} did not acknowledge '{}' within {} ms", peer(),
                                           packet_label(payload), options_.reply_timeout.count()));
            }
            if (event->kind == FrameEvent::Kind::ack) {
                return {};
            }
            if (event->kind == FrameEvent::Kind::nak) {
                break;
            }
            if (event->kind == FrameEvent::Kind::packet) {
                // A stub acks a request before answering it, so this packet predates ours.
                if (event->error == CodecError::none) {
                    if (auto acked = transport_->write_all("+"); !acked) {
                        return acked;
                    }
                    unsolicited_.push_back(std::move(event->payload));
                } else if (auto naked = transport_->write_all("-"); !naked) {
                    return naked;
                }
            }
        }
        if (attempt + 1 >= options_.max_retransmits) {
            return give_up(
                fmt::format("{} rejected '{}' {} times (bad line or a stub that NAKs everything)",
                            peer(), packet_label(payload), attempt + 1));
        }
    }
}

Result<> RspConnection::flush_ack() {
    if (!ack_pending_) {
        return {};
    }
    ack_pending_ = false;
    auto acked = transport_->write_all("+");
    if (!acked) {
        fatal_ = acked.error();
    }
    return acked;
}

Result<std::optional<std::string>> RspConnection::receive_until(Clock::time_point start_deadline) {
    if (auto ok = broken(); !ok) {
        return std::unexpected(ok.error());
    }
    // Waiting for a packet we did not ask for (console output, a stop): a stub that holds
    // back until its last packet is acked must not be left waiting.
    if (auto ok = flush_ack(); !ok) {
        return std::unexpected(ok.error());
    }
    int rejected = 0;
    // time_point::max() while no frame has started.
    Clock::time_point frame_deadline = Clock::time_point::max();
    auto frame_started = [&frame_deadline] { return frame_deadline != Clock::time_point::max(); };
    for (;;) {
        // Until a frame starts we wait for the caller's deadline; a started frame must finish
        // within reply_timeout so a stub dying mid-packet cannot hang us.
        if (decoder_.mid_frame() && !frame_started()) {
            frame_deadline = Clock::now() + options_.reply_timeout;
        }
        auto deadline = frame_started() ? frame_deadline : start_deadline;
        auto event = next_event(deadline);
        if (!event) {
            return std::unexpected(event.error());
        }
        switch (event->kind) {
        case FrameEvent::Kind::need_more:
            if (Clock::now() < deadline || (decoder_.mid_frame() && !frame_started())) {
                continue; // woken early by a signal, or a frame just started
            }
            if (decoder_.mid_frame()) {
                return give_up(fmt::format("{} stopped sending in the middle of a packet", peer()));
            }
            return std::optional<std::string>{};
        case FrameEvent::Kind::ack:
        case FrameEvent::Kind::nak:
        case FrameEvent::Kind::interrupt:
        case FrameEvent::Kind::notification: // asynchronous; none we act on
            break;
        case FrameEvent::Kind::packet:
            frame_deadline = Clock::time_point::max();
            if (event->error != CodecError::none) {
                if (++rejected > options_.max_retransmits) {
                    return give_up(fmt::format("{} sent {} bad packets in a row (last: {})", peer(),
                                               rejected, describe(event->error)));
                }
                if (!no_ack_) {
                    if (auto naked = transport_->write_all("-"); !naked) {
                        return std::unexpected(naked.error());
                    }
                }
                // The retransmission answers our '-': give it a full reply timeout.
                start_deadline = std::max(start_deadline, Clock::now() + options_.reply_timeout);
                break;
            }
            // A reply that arrived intact is returned even if the stub is gone before our
            // ack: the next request will report the loss.
            if (!no_ack_) {
                if (options_.defer_acks) {
                    ack_pending_ = true;
                } else if (auto acked = transport_->write_all("+"); !acked) {
                    fatal_ = acked.error();
                }
            }
            return std::optional<std::string>{std::move(event->payload)};
        }
    }
}

Result<std::optional<std::string>> RspConnection::poll(std::chrono::milliseconds wait) {
    return receive_until(Clock::now() + wait);
}

Result<std::string> RspConnection::receive() {
    auto packet = receive_until(Clock::now() + options_.reply_timeout);
    if (!packet) {
        return std::unexpected(packet.error());
    }
    if (!*packet) {
        return give_up(fmt::format("no reply from {} within {} ms (a late one would answer the "
                                   "next request: the connection is no longer used)",
                                   peer(), options_.reply_timeout.count()));
    }
    return std::move(**packet);
}

Result<std::string> RspConnection::request(std::string_view payload) {
    if (auto sent = send(payload); !sent) {
        return wrap(sent.error(), fmt::format("sending '{}'", packet_label(payload)));
    }
    auto reply = receive();
    if (!reply) {
        return wrap(reply.error(),
                    fmt::format("waiting for the reply to '{}'", packet_label(payload)));
    }
    return reply;
}

Result<std::vector<std::string>>
RspConnection::request_pipelined(std::span<const std::string> payloads) {
    if (auto ok = broken(); !ok) {
        return std::unexpected(ok.error());
    }
    // A sliding window: enough requests in flight that the stub never waits for us, few enough
    // that its replies (up to 4 KiB each) fit the socket buffers while we are still writing.
    constexpr std::size_t window = 32;
    BatchCount count;
    const auto send_more = [&](std::size_t until) -> Result<> {
        std::string bytes;
        if (ack_pending_ && !no_ack_) {
            bytes.push_back('+');
        }
        ack_pending_ = false;
        for (; count.sent < until; ++count.sent) {
            bytes += encode_packet(payloads[count.sent]);
        }
        auto written = transport_->write_all(bytes);
        if (!written) {
            fatal_ = written.error();
        }
        return written;
    };
    if (auto ok = send_more(std::min(window, payloads.size())); !ok) {
        return std::unexpected(ok.error());
    }
    const auto batch_error = [&](std::string_view what, const std::string& pending) {
        return Error{fmt::format("{} {} '{}' in a batch of {} requests", peer(), what,
                                 packet_label(pending), payloads.size()),
                     ErrorKind::transport};
    };
    std::vector<std::string> replies;
    replies.reserve(payloads.size());
    while (replies.size() < payloads.size()) {
        const auto& pending = payloads[replies.size()];
        auto event = next_event(Clock::now() + options_.reply_timeout);
        if (!event) {
            return std::unexpected(event.error());
        }
        switch (event->kind) {
        case FrameEvent::Kind::need_more:
            return settle_batch(count, batch_error(fmt::format("sent no reply within {} ms to",
                                                               options_.reply_timeout.count()),
                                                   pending));
        case FrameEvent::Kind::ack:
            ++count.acks;
            break;
        case FrameEvent::Kind::interrupt:
        case FrameEvent::Kind::notification:
            break;
        case FrameEvent::Kind::nak:
            ++count.naks;
            return settle_batch(count, batch_error("rejected", pending));
        case FrameEvent::Kind::packet:
            if (!is_reply(count)) {
                // Sent before the stub saw our request (a stop that raced the batch): keep it
                // apart, as send() does.
                if (event->error == CodecError::none) {
                    unsolicited_.push_back(std::move(event->payload));
                }
                break;
            }
            ++count.replies;
            if (event->error != CodecError::none) {
                return settle_batch(count, batch_error(fmt::format("sent a damaged reply ({}) to",
                                                                   describe(event->error)),
                                                       pending));
            }
            replies.push_back(std::move(event->payload));
            // Refill once half the window has been answered: one write per 16 requests.
            if (count.sent < payloads.size() && count.sent - replies.size() <= window / 2) {
                if (auto ok = send_more(std::min(replies.size() + window, payloads.size())); !ok) {
                    return std::unexpected(ok.error());
                }
            }
            break;
        }
    }
    if (!no_ack_) {
        // QEMU ignores acks; one write carries them all.
        if (auto acked = transport_->write_all(std::string(replies.size(), '+')); !acked) {
            fatal_ = acked.error();
            return std::unexpected(acked.error());
        }
    }
    return replies;
}

std::unexpected<Error> RspConnection::settle_batch(BatchCount& count, Error failure) {
    // Every request already sent gets exactly one answer (or one NAK): read them all, so the
    // next request is paired with its own reply and not with one of these.
    auto deadline = Clock::now() + options_.drain_timeout;
    while (count.owed() > 0) {
        auto event = next_event(deadline);
        if (!event) {
            return wrap(event.error(), failure.message); // the stream is lost: fatal_ is set
        }
        switch (event->kind) {
        case FrameEvent::Kind::need_more:
            if (Clock::now() < deadline) {
                continue; // woken early by a signal
            }
            return give_up(fmt::format("{}; {} more replies did not come within {} ms, so the "
                                       "connection is out of step and no longer used",
                                       failure.message, count.owed(),
                                       options_.drain_timeout.count()));
        case FrameEvent::Kind::ack:
            ++count.acks;
            break;
        case FrameEvent::Kind::nak:
            ++count.naks;
            break;
        case FrameEvent::Kind::interrupt:
        case FrameEvent::Kind::notification:
            break;
        case FrameEvent::Kind::packet:
            if (is_reply(count)) {
                ++count.replies;
            } else if (event->error == CodecError::none) {
                unsolicited_.push_back(std::move(event->payload));
            }
            break;
        }
    }
    // Damaged replies were not NAKed (QEMU would resend only its last packet, not the one we
    // lost); the ack owed for the last reply goes with the next request.
    ack_pending_ = !no_ack_;
    return std::unexpected(std::move(failure));
}

Result<> RspConnection::send_interrupt() {
    if (auto ok = broken(); !ok) {
        return ok;
    }
    if (auto ok = flush_ack(); !ok) {
        return ok;
    }
    auto written = transport_->write_all("\x03");
    if (!written) {
        fatal_ = written.error();
    }
    return written;
}

std::vector<std::string> RspConnection::take_unsolicited() {
    std::vector<std::string> packets(std::make_move_iterator(unsolicited_.begin()),
                                     std::make_move_iterator(unsolicited_.end()));
    unsolicited_.clear();
    return packets;
}

} // namespace kdive::rsp
