// Guest bytes in JSON (reversible \xHH escaping) and on the terminal (GDB's print escapes).
#include "support/guest_text.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace kdive {
namespace {

using Json = nlohmann::json;

// Every byte value, then the hostile names the issue names.
std::vector<std::string> hostile_strings() {
    std::string all;
    for (int b = 0; b < 256; ++b) {
        all += static_cast<char>(b);
    }
    return {all,
            "\xff"
            "x",
            "\033[2Jx",
            "a\\b",
            "\\x41",
            "\\\\xff",
            "line\nnext\r\t",
            "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xa7",
            "\xc0\xaf overlong",
            "\xed\xa0\x80 surrogate",
            "\xf4\x90\x80\x80 too high",
            "\xe2\x82 cut",
            "\xc2\x9b"
            "31m C1 CSI",
            "trailing \xf0\x9f"};
}

bool has_raw_control(std::string_view text, std::string_view allowed = "") {
    for (char c : text) {
        const auto b = static_cast<unsigned char>(c);
        if ((b < 0x20 || b == 0x7f) && allowed.find(c) == std::string_view::npos) {
            return true;
        }
    }
    return false;
}

TEST(GuestText, Utf8SequenceLengthFollowsRfc3629) {
    EXPECT_EQ(utf8_sequence_length("a", 0), 1U);
    EXPECT_EQ(utf8_sequence_length("\xc3\xa9", 0), 2U);
    EXPECT_EQ(utf8_sequence_length("\xe2\x82\xac", 0), 3U);
    EXPECT_EQ(utf8_sequence_length("\xf0\x9f\x90\xa7", 0), 4U);
    EXPECT_EQ(utf8_sequence_length("\x80", 0), 0U);         // a lone continuation byte
    EXPECT_EQ(utf8_sequence_length("\xc1\xbf", 0), 0U);     // overlong
    EXPECT_EQ(utf8_sequence_length("\xe0\x9f\xbf", 0), 0U); // overlong
    EXPECT_EQ(utf8_sequence_length("\xed\xa0\x80", 0), 0U); // a surrogate
    EXPECT_EQ(utf8_sequence_length("\xf4\x90\x80\x80", 0), 0U);
    EXPECT_EQ(utf8_sequence_length("\xf5\x80\x80\x80", 0), 0U);
    EXPECT_EQ(utf8_sequence_length("\xe2\x82", 0), 0U); // cut short
}

TEST(GuestText, JsonTextEscapesInvalidBytesAndBackslashes) {
    EXPECT_EQ(json_text("\xff"
                        "x"),
              "\\xffx");
    EXPECT_EQ(json_text("a\\b"), "a\\\\b");
    EXPECT_EQ(json_text("caf\xc3\xa9"), "caf\xc3\xa9");
    EXPECT_EQ(json_text("\033[2J"), "\033[2J"); // the JSON encoder escapes it as \u001b
    EXPECT_EQ(json_text("\xe2\x82"), "\\xe2\\x82");
}

TEST(GuestText, JsonOfHostileStringsParsesStrictlyAndRoundTrips) {
    for (const auto& bytes : hostile_strings()) {
        const std::string out = dump_json(Json{{"comm", json_text(bytes)}});
        EXPECT_FALSE(has_raw_control(out)) << out;
        Json parsed;
        ASSERT_NO_THROW(parsed = Json::parse(out)) << out;
        auto back = json_text_bytes(parsed["comm"].get<std::string>());
        ASSERT_TRUE(back) << out;
        EXPECT_EQ(*back, bytes) << out;
    }
}

TEST(GuestText, JsonTextBytesRejectsUnknownEscapes) {
    EXPECT_FALSE(json_text_bytes("\\n"));
    EXPECT_FALSE(json_text_bytes("\\x4"));
    EXPECT_FALSE(json_text_bytes("\\xzz"));
    EXPECT_FALSE(json_text_bytes("end\\"));
    EXPECT_EQ(json_text_bytes("\\x41\\\\"), "A\\");
}

TEST(GuestText, DumpJsonNeverThrowsOnRawInvalidUtf8) {
    // A string that missed json_text: replaced, not thrown.
    const Json value = {{"text", std::string("\xff\xfe")}};
    std::string out;
    Json parsed;
    ASSERT_NO_THROW(out = dump_json(value));
    EXPECT_NO_THROW(parsed = Json::parse(out));
    ASSERT_NO_THROW(out = dump_json(value, 2));
    EXPECT_NO_THROW(parsed = Json::parse(out));
}

TEST(GuestText, TerminalTextEscapesLikeGdbPrint) {
    EXPECT_EQ(terminal_text("\033[2Jx"), "\\033[2Jx");
    EXPECT_EQ(terminal_text("a\nb\tc\rd"), "a\\nb\\tc\\rd");
    EXPECT_EQ(terminal_text("\x7f"), "\\177");
    EXPECT_EQ(terminal_text("\xff"
                            "x"),
              "\\377x");
    EXPECT_EQ(terminal_text("a\\b"), "a\\\\b");
    EXPECT_EQ(terminal_text("caf\xc3\xa9 \xf0\x9f\x90\xa7"), "caf\xc3\xa9 \xf0\x9f\x90\xa7");
    EXPECT_EQ(terminal_text("\xc2\x9b"
                            "31m"),
              "\\302\\23331m");
    EXPECT_EQ(terminal_text("\a\b\f\v\x01"), "\\a\\b\\f\\v\\001");
}

TEST(GuestText, TerminalTextModesKeepWhatTheyPromise) {
    EXPECT_EQ(terminal_text("one\ntwo\t\\", TerminalText::lines), "one\ntwo\\t\\");
    EXPECT_EQ(terminal_text("one\ntwo\t\\\033", TerminalText::message), "one\ntwo\t\\\\033");
    for (const auto& bytes : hostile_strings()) {
        EXPECT_FALSE(has_raw_control(terminal_text(bytes)));
        EXPECT_FALSE(has_raw_control(terminal_text(bytes, TerminalText::lines), "\n"));
        EXPECT_FALSE(has_raw_control(terminal_text(bytes, TerminalText::message), "\n\t"));
    }
}

TEST(GuestText, TerminalTextOutputIsWellFormedUtf8) {
    for (const auto& bytes : hostile_strings()) {
        const std::string out = terminal_text(bytes);
        for (std::size_t i = 0; i < out.size();) {
            const std::size_t length = utf8_sequence_length(out, i);
            ASSERT_NE(length, 0U) << out;
            i += length;
        }
    }
}

} // namespace
} // namespace kdive
