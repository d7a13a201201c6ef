// Splits the byte stream a debugger sends a stub into pieces that can be passed on unchanged:
// whole packets, and the single bytes between them (acks, the 0x03 interrupt).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace kdive::rsp {

struct ClientPiece {
    std::string raw;     // the bytes as they came
    std::string payload; // between '$' and '#', for a packet (escapes left in place)
    bool packet = false;
};

class ClientStreamSplitter {
public:
    // A '$' without its '#' after this many bytes is passed on as it is: the stub judges it.
    static constexpr std::size_t max_packet = 1u << 20;

    void feed(std::string_view bytes) { buffer_.append(bytes); }
    // The next complete piece; nothing while a packet is still arriving.
    std::optional<ClientPiece> next();

private:
    std::string buffer_;
};

} // namespace kdive::rsp
