// Guest strings that a formatter must carry safely (bytes 0x80-0xff, escape sequences,
// newlines, backslashes), and the checks every formatter's test makes of its output.
#pragma once

#include "support/guest_text.hpp"

#include <algorithm>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace kdive::cli {

using Json = nlohmann::json;

inline std::vector<std::string> hostile_names() {
    std::string high;
    for (int b = 0x80; b <= 0xff; ++b) {
        high += static_cast<char>(b);
    }
    return {"\xff"
            "x",
            "\033[2Jx",
            "two\nlines",
            "back\\slash\\x41",
            "tab\there\r\x7f",
            "\xc2\x9b"
            "31m",
            "caf\xc3\xa9",
            high};
}

// A control byte other than the allowed ones.
inline bool has_raw_control(std::string_view text, std::string_view allowed = "\n") {
    for (char c : text) {
        const auto b = static_cast<unsigned char>(c);
        if ((b < 0x20 || b == 0x7f) && allowed.find(c) == std::string_view::npos) {
            return true;
        }
    }
    return false;
}

// Strict parse (nlohmann throws on anything malformed, including invalid UTF-8).
inline Json parse_strictly(const std::string& text) {
    Json parsed;
    EXPECT_NO_THROW(parsed = Json::parse(text)) << text;
    EXPECT_FALSE(has_raw_control(text, "")) << text;
    return parsed;
}

inline std::string bytes_of(const Json& value) {
    auto bytes = json_text_bytes(value.get<std::string>());
    EXPECT_TRUE(bytes) << value;
    return bytes.value_or(std::string());
}

// The line count a text form should have: one per row plus `extra`, no row split by a name.
inline std::size_t lines(const std::string& text) {
    return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

} // namespace kdive::cli
