// Pure GDB remote packet codec (see header): no I/O, no allocation beyond the strings it returns.
#include "rsp/packet_codec.hpp"

namespace kdive::rsp {

namespace {

constexpr char escape_char = '}';

bool needs_escape(char c) {
    return c == '$' || c == '#' || c == '}' || c == '*';
}

int hex_value(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

constexpr char hex_digits[] = "0123456789abcdef";

} // namespace

const char* describe(CodecError error) {
    switch (error) {
    case CodecError::none:
        return "no error";
    case CodecError::bad_checksum:
        return "bad checksum";
    case CodecError::bad_checksum_digits:
        return "checksum is not two hex digits";
    case CodecError::oversized:
        return "packet too large";
    case CodecError::bad_escape:
        return "'}' escape at end of data";
    case CodecError::bad_run_length:
        return "bad run-length encoding";
    case CodecError::bad_hex:
        return "malformed hex";
    }
    return "unknown error";
}

std::uint8_t checksum(std::string_view bytes) {
    unsigned sum = 0;
    for (char c : bytes)
        sum += static_cast<unsigned char>(c);
    return static_cast<std::uint8_t>(sum & 0xff);
}

std::string escape_binary(std::string_view data) {
    std::string out;
    out.reserve(data.size());
    for (char c : data) {
        if (needs_escape(c)) {
            out.push_back(escape_char);
            out.push_back(static_cast<char>(c ^ 0x20));
        } else {
            out.push_back(c);
        }
    }
    return out;
}

DecodedBytes unescape_binary(std::string_view data) {
    DecodedBytes result;
    result.data.reserve(data.size());
    for (std::size_t i = 0; i < data.size(); ++i) {
        if (data[i] != escape_char) {
            result.data.push_back(data[i]);
            continue;
        }
        if (++i == data.size()) {
            result.error = CodecError::bad_escape;
            result.data.clear();
            return result;
        }
        result.data.push_back(static_cast<char>(data[i] ^ 0x20));
    }
    return result;
}

DecodedBytes expand_run_length(std::string_view data, std::size_t max_size) {
    DecodedBytes result;
    if (data.find('*') == std::string_view::npos) {
        if (data.size() > max_size)
            result.error = CodecError::oversized;
        else
            result.data.assign(data);
        return result;
    }
    auto fail = [&result](CodecError error) {
        result.error = error;
        result.data.clear();
        return result;
    };
    for (std::size_t i = 0; i < data.size(); ++i) {
        char c = data[i];
        if (c != '*') {
            result.data.push_back(c);
        } else {
            // The count byte is printable and stands for count-29 extra copies; GDB's
            // encoder never emits '#' or '$' as a count, but a reader may accept them.
            if (result.data.empty() || i + 1 == data.size())
                return fail(CodecError::bad_run_length);
            auto count = static_cast<unsigned char>(data[++i]);
            if (count < 29 + 3 || count > 126)
                return fail(CodecError::bad_run_length);
            std::size_t repeat = count - 29u;
            if (result.data.size() + repeat > max_size)
                return fail(CodecError::oversized);
            result.data.append(repeat, result.data.back());
        }
        if (result.data.size() > max_size)
            return fail(CodecError::oversized);
    }
    return result;
}

std::string encode_packet(std::string_view payload) {
    std::string body = escape_binary(payload);
    std::uint8_t sum = checksum(body);
    std::string out;
    out.reserve(body.size() + 4);
    out.push_back('$');
    out += body;
    out.push_back('#');
    out.push_back(hex_digits[sum >> 4]);
    out.push_back(hex_digits[sum & 0xf]);
    return out;
}

std::string hex_encode(std::string_view bytes) {
    std::string out;
    out.reserve(bytes.size() * 2);
    for (char c : bytes) {
        auto b = static_cast<unsigned char>(c);
        out.push_back(hex_digits[b >> 4]);
        out.push_back(hex_digits[b & 0xf]);
    }
    return out;
}

DecodedBytes hex_decode(std::string_view hex) {
    DecodedBytes result;
    if (hex.size() % 2 != 0) {
        result.error = CodecError::bad_hex;
        return result;
    }
    result.data.resize(hex.size() / 2);
    for (std::size_t i = 0; i < hex.size(); i += 2) {
        int high = hex_value(hex[i]);
        int low = hex_value(hex[i + 1]);
        if (high < 0 || low < 0) {
            result.error = CodecError::bad_hex;
            result.data.clear();
            return result;
        }
        result.data[i / 2] = static_cast<char>(high << 4 | low);
    }
    return result;
}

bool parse_hex_u64(std::string_view hex, std::uint64_t& value) {
    if (hex.empty() || hex.size() > 16)
        return false;
    std::uint64_t v = 0;
    for (char c : hex) {
        int digit = hex_value(c);
        if (digit < 0)
            return false;
        v = v << 4 | static_cast<unsigned>(digit);
    }
    value = v;
    return true;
}

void FrameDecoder::reset() {
    buffer_.clear();
    position_ = 0;
    state_ = State::idle;
    overflowed_ = false;
    payload_.clear();
    sum_ = 0;
}

FrameEvent FrameDecoder::finish_frame() {
    FrameEvent event;
    event.kind = notification_ ? FrameEvent::Kind::notification : FrameEvent::Kind::packet;
    int high = hex_value(checksum_digits_[0]);
    int low = hex_value(checksum_digits_[1]);
    state_ = State::idle;
    if (overflowed_) {
        event.error = CodecError::oversized;
    } else if (high < 0 || low < 0) {
        event.error = CodecError::bad_checksum_digits;
    } else if ((high << 4 | low) != sum_) {
        event.error = CodecError::bad_checksum;
    } else {
        DecodedBytes expanded = expand_run_length(payload_, max_payload_);
        event.error = expanded.error;
        event.payload = std::move(expanded.data);
    }
    payload_.clear();
    overflowed_ = false;
    sum_ = 0;
    return event;
}

FrameEvent FrameDecoder::next() {
    while (position_ < buffer_.size()) {
        char c = buffer_[position_++];
        switch (state_) {
        case State::idle:
            if (c == '+')
                return {FrameEvent::Kind::ack, CodecError::none, {}};
            if (c == '-')
                return {FrameEvent::Kind::nak, CodecError::none, {}};
            if (c == '\x03')
                return {FrameEvent::Kind::interrupt, CodecError::none, {}};
            if (c == '$' || c == '%') {
                notification_ = c == '%';
                state_ = State::payload;
                payload_.clear();
                sum_ = 0;
                overflowed_ = false;
            }
            break; // anything else is noise between frames
        case State::payload:
            if (c == '#') {
                state_ = State::checksum_high;
                break;
            }
            sum_ = static_cast<std::uint8_t>(sum_ + static_cast<unsigned char>(c));
            // Keep counting bytes past the limit so the frame still ends where the stub meant.
            if (payload_.size() < max_payload_)
                payload_.push_back(c);
            else
                overflowed_ = true;
            break;
        case State::checksum_high:
            checksum_digits_[0] = c;
            state_ = State::checksum_low;
            break;
        case State::checksum_low:
            checksum_digits_[1] = c;
            buffer_.erase(0, position_);
            position_ = 0;
            return finish_frame();
        }
    }
    buffer_.clear();
    position_ = 0;
    return {};
}

} // namespace kdive::rsp
