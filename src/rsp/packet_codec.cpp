// Pure GDB remote packet codec (see header): no I/O, no allocation beyond the strings it returns.
#include "rsp/packet_codec.hpp"

#include <algorithm>
#include <cstring>

namespace kdive::rsp {

namespace {

constexpr char escape_char = '}';

bool needs_escape(char c) {
    return c == '$' || c == '#' || c == '}' || c == '*';
}

// Digit values by byte, -1 for non-digits: memory replies are kilobytes of hex, and a table
// decodes them several times faster than comparisons.
struct HexTable {
    signed char value[256];
    constexpr HexTable() : value() {
        for (int i = 0; i < 256; ++i) {
            value[i] = -1;
        }
        for (int i = 0; i < 10; ++i) {
            value['0' + i] = static_cast<signed char>(i);
        }
        for (int i = 0; i < 6; ++i) {
            value['a' + i] = static_cast<signed char>(10 + i);
            value['A' + i] = static_cast<signed char>(10 + i);
        }
    }
};
constexpr HexTable hex_table;

int hex_value(char c) {
    return hex_table.value[static_cast<unsigned char>(c)];
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
    // Eight bytes at a time in 16-bit lanes (a memory reply is kilobytes); lanes are folded
    // before they can overflow. Only the sum modulo 256 matters.
    constexpr std::uint64_t low_bytes = 0x00ff00ff00ff00ffull;
    std::uint64_t total = 0;
    std::size_t i = 0;
    while (bytes.size() - i >= 8) {
        std::uint64_t lanes = 0;
        for (int step = 0; step < 128 && bytes.size() - i >= 8; ++step, i += 8) {
            std::uint64_t word;
            std::memcpy(&word, bytes.data() + i, 8);
            lanes += (word & low_bytes) + ((word >> 8) & low_bytes);
        }
        for (int lane = 0; lane < 4; ++lane) {
            total += (lanes >> (16 * lane)) & 0xffff;
        }
    }
    for (; i < bytes.size(); ++i) {
        total += static_cast<unsigned char>(bytes[i]);
    }
    return static_cast<std::uint8_t>(total & 0xff);
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
        if (data.size() > max_size) {
            result.error = CodecError::oversized;
        } else {
            result.data.assign(data);
        }
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
            if (result.data.empty() || i + 1 == data.size()) {
                return fail(CodecError::bad_run_length);
            }
            auto count = static_cast<unsigned char>(data[++i]);
            if (count < 29 + 3 || count > 126) {
                return fail(CodecError::bad_run_length);
            }
            std::size_t repeat = count - 29u;
            if (result.data.size() + repeat > max_size) {
                return fail(CodecError::oversized);
            }
            result.data.append(repeat, result.data.back());
        }
        if (result.data.size() > max_size) {
            return fail(CodecError::oversized);
        }
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

CodecError hex_decode_into(std::string_view hex, char* out, std::size_t out_size) {
    if (hex.size() != out_size * 2) {
        return CodecError::bad_hex;
    }
    // Accumulate the validity check instead of branching on every digit.
    int invalid = 0;
    for (std::size_t i = 0; i < out_size; ++i) {
        int high = hex_value(hex[2 * i]);
        int low = hex_value(hex[2 * i + 1]);
        invalid |= high | low;
        out[i] = static_cast<char>(high << 4 | (low & 0xf));
    }
    return invalid < 0 ? CodecError::bad_hex : CodecError::none;
}

bool parse_hex_u64(std::string_view hex, std::uint64_t& value) {
    if (hex.empty() || hex.size() > 16) {
        return false;
    }
    std::uint64_t v = 0;
    for (char c : hex) {
        int digit = hex_value(c);
        if (digit < 0) {
            return false;
        }
        v = v << 4 | static_cast<unsigned>(digit);
    }
    value = v;
    return true;
}

std::optional<AddressRange> parse_address_range(std::string_view text) {
    const auto comma = text.find(',');
    AddressRange range;
    if (comma == std::string_view::npos || !parse_hex_u64(text.substr(0, comma), range.address) ||
        !parse_hex_u64(text.substr(comma + 1), range.length)) {
        return std::nullopt;
    }
    return range;
}

std::span<char> FrameDecoder::prepare(std::size_t size) {
    if (position_ == end_) {
        position_ = end_ = 0;
    } else if (position_ > 0 && buffer_.size() - end_ < size) {
        std::memmove(buffer_.data(), buffer_.data() + position_, end_ - position_);
        end_ -= position_;
        position_ = 0;
    }
    if (buffer_.size() - end_ < size) {
        buffer_.resize(end_ + size);
    }
    return {buffer_.data() + end_, size};
}

void FrameDecoder::commit(std::size_t size) {
    end_ += std::min(size, buffer_.size() - end_);
}

void FrameDecoder::feed(std::string_view bytes) {
    if (bytes.empty()) {
        return; // memcpy may not be handed the null data of an empty buffer
    }
    auto space = prepare(bytes.size());
    std::memcpy(space.data(), bytes.data(), bytes.size());
    commit(bytes.size());
}

void FrameDecoder::reset() {
    position_ = end_ = 0;
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
    } else if (payload_.find('*') == std::string::npos) {
        event.payload = std::move(payload_);
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
    while (position_ < end_) {
        char c = buffer_[position_++];
        switch (state_) {
        case State::idle:
            if (c == '+') {
                return {FrameEvent::Kind::ack, CodecError::none, {}};
            }
            if (c == '-') {
                return {FrameEvent::Kind::nak, CodecError::none, {}};
            }
            if (c == '\x03') {
                return {FrameEvent::Kind::interrupt, CodecError::none, {}};
            }
            if (c == '$' || c == '%') {
                notification_ = c == '%';
                state_ = State::payload;
                payload_.clear();
                sum_ = 0;
                overflowed_ = false;
            }
            break; // anything else is noise between frames
        case State::payload: {
            // Take the whole run up to '#' at once: memory replies are kilobytes of hex.
            --position_;
            std::string_view rest(buffer_.data() + position_, end_ - position_);
            std::size_t hash = rest.find('#');
            std::string_view run = rest.substr(0, hash);
            sum_ = static_cast<std::uint8_t>(sum_ + checksum(run));
            // Keep counting bytes past the limit so the frame still ends where the stub meant.
            std::size_t room = max_payload_ - std::min(max_payload_, payload_.size());
            if (run.size() > room) {
                overflowed_ = true;
            }
            payload_.append(run.substr(0, std::min(room, run.size())));
            position_ += run.size();
            if (hash != std::string_view::npos) {
                ++position_;
                state_ = State::checksum_high;
            }
            break;
        }
        case State::checksum_high:
            checksum_digits_[0] = c;
            state_ = State::checksum_low;
            break;
        case State::checksum_low:
            checksum_digits_[1] = c;
            return finish_frame();
        }
    }
    position_ = end_ = 0;
    return {};
}

} // namespace kdive::rsp
