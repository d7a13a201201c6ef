// Pure GDB remote packet codec: checksums, framing, run-length and `}` escapes, hex.
//
// Deliberately free of <expected> and support/error.hpp: the libFuzzer target builds this file
// alone with clang, so failures are reported through the small CodecError enum below.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace kdive::rsp {

enum class CodecError {
    none,
    bad_checksum, // the two digits after '#' do not match the payload
    bad_checksum_digits,
    oversized,      // longer than the decoder's limit
    bad_escape,     // '}' at the end of the data
    bad_run_length, // '*' with nothing to repeat, or a count outside the printable range
    bad_hex,
};

// Short human wording for an error, for messages such as "packet from X: bad checksum".
const char* describe(CodecError error);

// Modulo-256 sum of the bytes, as sent after '#'.
std::uint8_t checksum(std::string_view bytes);

// "$<escaped payload>#cs". Characters that would end or confuse framing ($ # } *) are escaped.
std::string encode_packet(std::string_view payload);

// `}`-escapes binary data ($ # } * become '}' followed by the byte xor 0x20).
std::string escape_binary(std::string_view data);

struct DecodedBytes {
    CodecError error = CodecError::none;
    std::string data;
    bool ok() const { return error == CodecError::none; }
};

// Reverses escape_binary.
DecodedBytes unescape_binary(std::string_view data);

// Expands "X*n" into X repeated n-29 more times; fails past max_size bytes of output.
DecodedBytes expand_run_length(std::string_view data, std::size_t max_size);

// Lower-case hex of each byte.
std::string hex_encode(std::string_view bytes);
// Hex pairs to bytes; odd length or a non-hex digit is bad_hex.
DecodedBytes hex_decode(std::string_view hex);
// Hex pairs straight into `out`, which must hold exactly hex.size()/2 bytes.
CodecError hex_decode_into(std::string_view hex, char* out, std::size_t out_size);
// A hex number of at most 16 digits; false when empty, too long or not hex.
bool parse_hex_u64(std::string_view hex, std::uint64_t& value);

// "ADDR,LENGTH" in hex, the part m, M, X and Z packets share.
struct AddressRange {
    std::uint64_t address = 0;
    std::uint64_t length = 0;
};
std::optional<AddressRange> parse_address_range(std::string_view text);

// One thing read from the byte stream of a remote stub.
struct FrameEvent {
    enum class Kind {
        need_more,    // nothing complete yet
        ack,          // '+'
        nak,          // '-'
        packet,       // "$...#cs"; payload is run-length expanded, escapes left in place
        notification, // "%...#cs" (asynchronous; the client may skip it)
        interrupt,    // 0x03 (only a stub's peer sends it, kept for completeness)
    };
    Kind kind = Kind::need_more;
    CodecError error = CodecError::none; // for packet/notification: why it must be rejected
    std::string payload;
};

// Incremental frame reader: feed bytes as they arrive, pull events until need_more.
// Bytes outside frames that are not acks are dropped (line noise before a '$').
class FrameDecoder {
public:
    explicit FrameDecoder(std::size_t max_payload = 1u << 20) : max_payload_(max_payload) {}

    void feed(std::string_view bytes);
    // Room for `size` more bytes, to read into directly (saves a copy of every reply); then
    // commit() says how many arrived.
    std::span<char> prepare(std::size_t size);
    void commit(std::size_t size);
    FrameEvent next();
    // True while a frame has started but not ended: a connection that drops now lost a reply.
    bool mid_frame() const { return state_ != State::idle; }
    // Forgets every buffered byte, e.g. after an error that ends the conversation.
    void reset();

private:
    enum class State { idle, payload, checksum_high, checksum_low };
    FrameEvent finish_frame();

    std::size_t max_payload_;
    std::vector<char> buffer_; // unread bytes are [position_, end_)
    std::size_t position_ = 0;
    std::size_t end_ = 0;
    State state_ = State::idle;
    bool notification_ = false;
    bool overflowed_ = false;
    std::string payload_;
    std::uint8_t sum_ = 0;
    char checksum_digits_[2] = {0, 0};
};

} // namespace kdive::rsp
