// Guest strings are bytes: their escaping for JSON output and for the user's terminal.
#pragma once

#include <cstddef>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace kdive {

// Length of the well-formed UTF-8 sequence starting at `text[at]` (RFC 3629: no overlong forms,
// no surrogates, nothing above U+10FFFF), or 0 when the byte there does not start one.
std::size_t utf8_sequence_length(std::string_view text, std::size_t at);

// A string safe for JSON, reversible to the guest's bytes: well-formed UTF-8 passes, a backslash
// becomes two, and each byte outside well-formed UTF-8 becomes the four characters \xHH
// (lower-case hex). The JSON encoder then escapes quotes and control characters as usual.
std::string json_text(std::string_view bytes);

// The reversal of json_text: the guest's bytes; nullopt for a backslash not followed by a
// backslash or by xHH.
std::optional<std::string> json_text_bytes(std::string_view text);

// What terminal_text leaves alone.
enum class TerminalText {
    field,   // one value in a line: every control character is escaped, and a backslash too
    lines,   // text of several lines (log records, config): newlines and backslashes pass, as
             // dmesg prints ACPI's "\_SB_"
    message, // a finished message or output: newlines, tabs and backslashes pass
};

// Bytes made safe to print, the way GDB's print shows a string: \n \t \r \a \b \f \v, other
// control characters and DEL in octal (\033, \177), and each byte outside well-formed UTF-8 in
// octal (\377). Well-formed multi-byte UTF-8 passes, except the C1 controls U+0080..U+009F,
// which some terminals obey (their two bytes in octal).
std::string terminal_text(std::string_view bytes, TerminalText mode = TerminalText::field);

// nlohmann's dump that cannot throw: ASCII only (so no raw byte of any kind reaches a terminal),
// and, as a last net behind json_text, invalid UTF-8 replaced by U+FFFD instead of an exception.
std::string dump_json(const nlohmann::json& value, int indent = -1);

} // namespace kdive
