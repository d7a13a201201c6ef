// A kernel .config (or config fragment) read and written by kdive: every line kept as written,
// so an unchanged file round-trips byte for byte, and settings changed in place.
#pragma once

#include "support/error.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kdive::lab {

// One option's value as .config spells it: y, m, n, "string" (quoted, escaped), 123, 0x1f.
// `# CONFIG_X is not set` is the value n.
struct KconfigSetting {
    std::string name;  // without the CONFIG_ prefix
    std::string value; // as written on the right of '='; "n" for "is not set"
};

// What merging one setting did to the file.
struct KconfigChange {
    std::string name;
    std::optional<std::string> old_value; // nullopt: the option was not in the file
    std::string new_value;
};

class KconfigFile {
public:
    // `origin` names the text in errors ("path:line: ...").
    static Result<KconfigFile> parse(std::string_view text, std::string_view origin);
    static Result<KconfigFile> read(const std::string& path);

    // The file's text: the original bytes where nothing was changed.
    std::string text() const;
    std::vector<KconfigSetting> settings() const;
    // nullopt when the file does not mention the option (Kconfig then treats it as n/default).
    std::optional<std::string> value(std::string_view name) const;

    // Changes the option's line in place, or appends it. Value n writes "is not set".
    void set(std::string_view name, std::string_view value);
    // Applies every setting of `fragment` in its order; returns the ones that changed something.
    std::vector<KconfigChange> merge(const KconfigFile& fragment);

private:
    struct Line {
        std::string text;                      // without the newline
        std::optional<KconfigSetting> setting; // nullopt: comment, blank line
    };
    std::vector<Line> lines_;
    bool final_newline_ = true;
};

// Parses one "CONFIG_X=value" or "X=value" (the form --set takes); the error names `text`.
Result<KconfigSetting> parse_kconfig_assignment(std::string_view text);

// "a \"b\"" → a "b": the text of a quoted .config string (backslash escapes undone).
std::optional<std::string> kconfig_unquote(std::string_view value);
// The reverse: quotes and escapes " and \ the way Kconfig writes them.
std::string kconfig_quote(std::string_view text);

// True when `actual` (nullopt: absent) is what `wanted` asked for: absent counts as n, strings
// compare unquoted, numbers by value (0x1F == 0x1f == 31).
bool kconfig_value_satisfies(std::string_view wanted, const std::optional<std::string>& actual);

} // namespace kdive::lab
