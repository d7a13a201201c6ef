// Packet conversation with a stub over a Transport: framing, acks, bounded retransmits, timeouts.
#pragma once

#include "rsp/packet_codec.hpp"
#include "rsp/transport.hpp"
#include "support/error.hpp"

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
};

class RspConnection {
public:
    explicit RspConnection(std::unique_ptr<Transport> transport, ConnectionOptions options = {});

    // Sends one packet and waits for its '+' (unless acks are off).
    Result<> send(std::string_view payload);
    // The next packet from the stub, acked; fails after reply_timeout.
    Result<std::string> receive();
    // Like receive, but returns nothing when no packet starts within `wait`. Once a packet has
    // started, its remainder is bounded by reply_timeout.
    Result<std::optional<std::string>> poll(std::chrono::milliseconds wait);
    // send + receive, with errors naming the request.
    Result<std::string> request(std::string_view payload);
    // Sends requests ahead of their replies (a window of them in flight) and returns the
    // replies in order: a round trip is paid once, not per request. Only for stubs that handle a
    // packet without waiting for the ack of their previous reply (QEMU; any stub in no-ack mode). A
    // NAK or a damaged reply fails the whole batch once the stream has gone quiet; the caller then
    // asks again one request at a time.
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
    Result<> flush_ack();
    // Discards whatever the stub still sends until it is quiet for `quiet`.
    void drain(std::chrono::milliseconds quiet);

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
