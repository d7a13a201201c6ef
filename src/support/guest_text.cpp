// One UTF-8 validator decides for both escapings, so JSON and terminal agree on what is text.
#include "support/guest_text.hpp"

#include <fmt/core.h>
#include <nlohmann/json.hpp>

namespace kdive {

namespace {

bool continuation(unsigned char byte, unsigned char low = 0x80, unsigned char high = 0xbf) {
    return byte >= low && byte <= high;
}

// GDB's escapes for control characters; nullptr where it prints octal.
const char* named_escape(unsigned char byte) {
    switch (byte) {
    case '\a':
        return "\\a";
    case '\b':
        return "\\b";
    case '\f':
        return "\\f";
    case '\n':
        return "\\n";
    case '\r':
        return "\\r";
    case '\t':
        return "\\t";
    case '\v':
        return "\\v";
    default:
        return nullptr;
    }
}

void append_octal(std::string& out, unsigned char byte) {
    out += fmt::format("\\{:03o}", byte);
}

// Whether one byte below 0x80 passes unescaped in `mode`.
bool passes(unsigned char byte, TerminalText mode) {
    if (byte == '\n') {
        return mode != TerminalText::field;
    }
    if (byte == '\t') {
        return mode == TerminalText::message;
    }
    if (byte == '\\') {
        return mode != TerminalText::field;
    }
    return byte >= 0x20 && byte < 0x7f;
}

int hex_digit(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

} // namespace

std::size_t utf8_sequence_length(std::string_view text, std::size_t at) {
    const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[at + i]); };
    const std::size_t left = text.size() - at;
    const unsigned char lead = byte(0);
    if (lead < 0x80) {
        return 1;
    }
    if (lead < 0xc2) {
        return 0; // a continuation byte, or the lead of an overlong two-byte form
    }
    if (lead < 0xe0) {
        return left >= 2 && continuation(byte(1)) ? 2 : 0;
    }
    if (lead < 0xf0) {
        // E0 would be overlong below A0; ED encodes surrogates from A0.
        const unsigned char low = lead == 0xe0 ? 0xa0 : 0x80;
        const unsigned char high = lead == 0xed ? 0x9f : 0xbf;
        return left >= 3 && continuation(byte(1), low, high) && continuation(byte(2)) ? 3 : 0;
    }
    if (lead < 0xf5) {
        // F0 would be overlong below 90; F4 goes past U+10FFFF from 90.
        const unsigned char low = lead == 0xf0 ? 0x90 : 0x80;
        const unsigned char high = lead == 0xf4 ? 0x8f : 0xbf;
        return left >= 4 && continuation(byte(1), low, high) && continuation(byte(2)) &&
                       continuation(byte(3))
                   ? 4
                   : 0;
    }
    return 0;
}

std::string json_text(std::string_view bytes) {
    std::string out;
    out.reserve(bytes.size());
    for (std::size_t i = 0; i < bytes.size();) {
        const std::size_t length = utf8_sequence_length(bytes, i);
        if (length == 0) {
            out += fmt::format("\\x{:02x}", static_cast<unsigned char>(bytes[i]));
            ++i;
            continue;
        }
        if (bytes[i] == '\\') {
            out += '\\';
        }
        out.append(bytes.substr(i, length));
        i += length;
    }
    return out;
}

std::optional<std::string> json_text_bytes(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '\\') {
            out += text[i];
            continue;
        }
        if (i + 1 < text.size() && text[i + 1] == '\\') {
            out += '\\';
            ++i;
            continue;
        }
        if (i + 3 < text.size() && text[i + 1] == 'x') {
            const int high = hex_digit(text[i + 2]);
            const int low = hex_digit(text[i + 3]);
            if (high >= 0 && low >= 0) {
                out += static_cast<char>(high * 16 + low);
                i += 3;
                continue;
            }
        }
        return std::nullopt;
    }
    return out;
}

std::string terminal_text(std::string_view bytes, TerminalText mode) {
    std::string out;
    out.reserve(bytes.size());
    for (std::size_t i = 0; i < bytes.size();) {
        const auto byte = static_cast<unsigned char>(bytes[i]);
        const std::size_t length = utf8_sequence_length(bytes, i);
        if (length == 1) {
            if (passes(byte, mode)) {
                out += static_cast<char>(byte);
            } else if (byte == '\\') {
                out += "\\\\";
            } else if (const char* named = named_escape(byte)) {
                out += named;
            } else {
                append_octal(out, byte);
            }
            ++i;
            continue;
        }
        // U+0080..U+009F are C2 80..C2 9F.
        const bool c1 =
            length == 2 && byte == 0xc2 && static_cast<unsigned char>(bytes[i + 1]) < 0xa0;
        if (length == 0 || c1) {
            const std::size_t count = length == 0 ? 1 : length;
            for (std::size_t k = 0; k < count; ++k) {
                append_octal(out, static_cast<unsigned char>(bytes[i + k]));
            }
            i += count;
            continue;
        }
        out.append(bytes.substr(i, length));
        i += length;
    }
    return out;
}

std::string dump_json(const nlohmann::json& value, int indent) {
    return value.dump(indent, ' ', true, nlohmann::json::error_handler_t::replace);
}

} // namespace kdive
