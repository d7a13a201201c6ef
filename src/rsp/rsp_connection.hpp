// Packet conversation with a stub over a Transport: framing, acks, bounded retransmits, timeouts.
#pragma once

#include "rsp/packet_codec.hpp"
#include "rsp/transport.hpp"
#include "support/error.hpp"

#include <algorithm>
#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace kdive::rsp {

struct ConnectionOptions {
    std::chrono::milliseconds reply_timeout{5000};
    int max_retransmits = 5; // NAKs tolerated for one packet, in either direction
    std::size_t max_payload = 1u << 20;
    // Send the '+' for a reply together with the next request instead of on its own: one
    // write per round trip instead of two. Stubs never answer before the ack matters to
    // them (QEMU ignores acks; gdbserver reads the ack before the next request); any wait
    // for an unrequested packet flushes it first.
    bool defer_acks = true;
    // After a pipelined batch fails, how long the replies still owed for requests already sent
    // may take to arrive before the connection is given up as out of step.
    std::chrono::milliseconds drain_timeout{5000};
};

class RspConnection {
public:
    explicit RspConnection(std::unique_ptr<Transport> transport, ConnectionOptions options = {});

    // Sends one packet and waits for its '+' (unless acks are off).
    Result<> send(std::string_view payload);
    // The next packet from the stub, acked. A reply that does not come within reply_timeout
    // could still come later and be taken for the answer to the next request, so the
    // connection is given up: this and every later call fail with a transport error.
    Result<std::string> receive();
    // Like receive, but returns nothing when no packet starts within `wait`. Once a packet has
    // started, its remainder is bounded by reply_timeout.
    Result<std::optional<std::string>> poll(std::chrono::milliseconds wait);
    // send + receive, with errors naming the request.
    Result<std::string> request(std::string_view payload);
    // Sends requests ahead of their replies (a window of them in flight) and returns the
    // replies in order: a round trip is paid once, not per request. Only for stubs that handle a
    // packet without waiting for the ack of their previous reply (QEMU; any stub in no-ack mode). A
    // NAK, a damaged or a late reply fails the whole batch, after the replies still owed for the
    // requests already sent have been read and dropped (within drain_timeout); the caller may then
    // ask again one request at a time. When they do not all come, the connection is given up.
    Result<std::vector<std::string>> request_pipelined(std::span<const std::string> payloads);
    // The 0x03 byte that stops a running target.
    Result<> send_interrupt();

    void set_no_ack(bool on) { no_ack_ = on; }
    bool no_ack() const { return no_ack_; }
    // Packets the stub sent before acking our request (QEMU's stop reply on connect): they
    // cannot be replies to it, so they are kept apart.
    std::vector<std::string> take_unsolicited();
    const std::string& peer() const { return transport_->name(); }
    const ConnectionOptions& options() const { return options_; }

private:
    using Clock = std::chrono::steady_clock;
    // Reads until the decoder yields an event or the deadline passes (need_more then).
    Result<FrameEvent> next_event(Clock::time_point deadline);
    Result<std::optional<std::string>> receive_until(Clock::time_point start_deadline);
    Result<> broken() const;
    // Records why the connection can no longer be used and returns that error.
    std::unexpected<Error> give_up(std::string message);
    Result<> flush_ack();
    // What a pipelined batch has seen so far, to know how many replies are still owed.
    struct BatchCount {
        std::size_t sent = 0;
        std::size_t acks = 0;
        std::size_t naks = 0;    // requests the stub rejected: it will not answer them
        std::size_t replies = 0; // packets taken as replies, damaged ones included
        std::size_t owed() const { return sent - std::min(sent, naks + replies); }
    };
    // Whether a packet arriving now answers a request of the batch: with acks on, a stub acks a
    // request before answering it, so a packet ahead of its ack is something else.
    bool is_reply(const BatchCount& count) const { return no_ack_ || count.acks > count.replies; }
    // Ends a failed batch: reads and drops the replies still owed, then returns `failure`; gives
    // the connection up when they do not all come within drain_timeout.
    std::unexpected<Error> settle_batch(BatchCount& count, Error failure);

    std::unique_ptr<Transport> transport_;
    ConnectionOptions options_;
    FrameDecoder decoder_;
    bool no_ack_ = false;
    bool ack_pending_ = false;
    std::optional<Error> fatal_; // once the stream is lost, every call reports why
    std::deque<std::string> unsolicited_;
};

// A packet shortened for error messages ("m ffff...,800" stays readable, M payloads do not).
std::string packet_label(std::string_view payload);

} // namespace kdive::rsp
