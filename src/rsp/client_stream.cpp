// A '#' cannot occur inside a packet unescaped, so a packet ends two bytes after its first '#'.
#include "rsp/client_stream.hpp"

namespace kdive::rsp {

std::optional<ClientPiece> ClientStreamSplitter::next() {
    if (buffer_.empty()) {
        return std::nullopt;
    }
    ClientPiece piece;
    if (buffer_.front() != '$') {
        piece.raw = buffer_.substr(0, 1);
        buffer_.erase(0, 1);
        return piece;
    }
    const auto hash = buffer_.find('#', 1);
    if (hash == std::string::npos || buffer_.size() < hash + 3) {
        if (buffer_.size() <= max_packet) {
            return std::nullopt;
        }
        piece.raw = std::move(buffer_);
        buffer_.clear();
        return piece;
    }
    piece.packet = true;
    piece.raw = buffer_.substr(0, hash + 3);
    piece.payload = buffer_.substr(1, hash - 1);
    buffer_.erase(0, hash + 3);
    return piece;
}

} // namespace kdive::rsp
