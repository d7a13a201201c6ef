// The server's side of a remote-protocol conversation with one debugger: packets in (acked),
// replies out (resent on a NAK), the interrupt byte, and no-ack mode once agreed.
#pragma once

#include "rsp/packet_codec.hpp"
#include "support/error.hpp"

#include <chrono>
#include <string>
#include <string_view>

namespace kdive::rsp {

struct DebuggerInput {
    enum class Kind {
        none,      // nothing within the wait
        packet,    // payload holds it, `}` escapes left in place
        interrupt, // the 0x03 byte: stop the target
        closed,    // the debugger went away
    };
    Kind kind = Kind::none;
    std::string payload;
};

class DebuggerConnection {
public:
    // Owns both descriptors (the same socket twice, or stdin and stdout) and closes them.
    DebuggerConnection(int in, int out, std::string name);
    ~DebuggerConnection();
    DebuggerConnection(const DebuggerConnection&) = delete;
    DebuggerConnection& operator=(const DebuggerConnection&) = delete;

    // The next packet or interrupt; a damaged packet is NAKed and skipped.
    Result<DebuggerInput> next(std::chrono::milliseconds wait);
    // One reply (also kept to resend when the debugger NAKs it).
    Result<> send(std::string_view payload);
    // Stops acking and expecting acks after the reply to QStartNoAckMode.
    void set_no_ack() { no_ack_ = true; }
    const std::string& name() const { return name_; }

private:
    Result<> write_all(std::string_view bytes);

    int in_;
    int out_;
    std::string name_;
    FrameDecoder decoder_;
    bool no_ack_ = false;
    std::string last_reply_; // encoded, for a NAK
};

} // namespace kdive::rsp
