// .config parsing: assignments, "is not set" comments, everything else kept verbatim.
#include "lab/kconfig_file.hpp"

#include "support/atomic_file.hpp"
#include "support/text.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <fmt/format.h>

namespace kdive::lab {

namespace {

constexpr std::string_view kPrefix = "CONFIG_";
constexpr std::string_view kNotSetTail = " is not set";

bool is_symbol_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}

bool is_symbol(std::string_view name) {
    return !name.empty() && std::all_of(name.begin(), name.end(), is_symbol_char);
}

bool is_number(std::string_view v) {
    if (v.starts_with("0x") || v.starts_with("0X")) {
        v.remove_prefix(2);
        return !v.empty() && std::all_of(v.begin(), v.end(), [](char c) {
            return std::isxdigit(static_cast<unsigned char>(c));
        });
    }
    if (v.starts_with('-')) {
        v.remove_prefix(1);
    }
    return !v.empty() && std::all_of(v.begin(), v.end(), [](char c) {
        return std::isdigit(static_cast<unsigned char>(c));
    });
}

// Why `value` is not a .config value, or empty when it is one.
std::string value_problem(std::string_view value) {
    if (value == "y" || value == "m" || value == "n" || is_number(value)) {
        return {};
    }
    if (value.starts_with('"')) {
        return kconfig_unquote(value) ? "" : "unterminated or badly escaped string";
    }
    return value.empty() ? "empty value" : "value is not y, m, n, a number or a quoted string";
}

std::optional<std::uint64_t> number_value(std::string_view v) {
    bool negative = v.starts_with('-');
    if (negative) {
        v.remove_prefix(1);
    }
    int base = 10;
    if (v.starts_with("0x") || v.starts_with("0X")) {
        v.remove_prefix(2);
        base = 16;
    }
    std::uint64_t n = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n, base);
    if (ec != std::errc() || end != v.data() + v.size()) {
        return std::nullopt;
    }
    return negative ? ~n + 1 : n;
}

// "# CONFIG_X is not set" → X; nullopt for any other comment.
std::optional<std::string> not_set_name(std::string_view line) {
    if (!line.starts_with("# ") || !line.ends_with(kNotSetTail)) {
        return std::nullopt;
    }
    std::string_view name = line.substr(2, line.size() - 2 - kNotSetTail.size());
    if (!name.starts_with(kPrefix) || !is_symbol(name.substr(kPrefix.size()))) {
        return std::nullopt;
    }
    return std::string(name.substr(kPrefix.size()));
}

std::string line_for(std::string_view name, std::string_view value) {
    if (value == "n") {
        return fmt::format("# {}{}{}", kPrefix, name, kNotSetTail);
    }
    return fmt::format("{}{}={}", kPrefix, name, value);
}

} // namespace

std::optional<std::string> kconfig_unquote(std::string_view value) {
    if (value.size() < 2 || value.front() != '"' || value.back() != '"') {
        return std::nullopt;
    }
    std::string out;
    for (size_t i = 1; i + 1 < value.size(); ++i) {
        char c = value[i];
        if (c == '\\') {
            if (i + 2 >= value.size()) {
                return std::nullopt; // the escape would swallow the closing quote
            }
            out += value[++i];
        } else if (c == '"') {
            return std::nullopt;
        } else {
            out += c;
        }
    }
    return out;
}

std::string kconfig_quote(std::string_view text) {
    std::string out = "\"";
    for (char c : text) {
        if (c == '"' || c == '\\') {
            out += '\\';
        }
        out += c;
    }
    return out + "\"";
}

Result<KconfigSetting> parse_kconfig_assignment(std::string_view text) {
    std::string_view line = trim(text);
    if (auto name = not_set_name(line)) {
        return KconfigSetting{*name, "n"};
    }
    auto eq = line.find('=');
    if (eq == std::string_view::npos) {
        return fail("'{}' is not CONFIG_NAME=VALUE", text);
    }
    std::string_view name = line.substr(0, eq);
    if (name.starts_with(kPrefix)) {
        name.remove_prefix(kPrefix.size());
    }
    if (!is_symbol(name)) {
        return fail("'{}': '{}' is not an option name", text, line.substr(0, eq));
    }
    std::string_view value = line.substr(eq + 1);
    if (auto problem = value_problem(value); !problem.empty()) {
        return fail("'{}': {}", text, problem);
    }
    return KconfigSetting{std::string(name), std::string(value)};
}

Result<KconfigFile> KconfigFile::parse(std::string_view text, std::string_view origin) {
    KconfigFile file;
    file.final_newline_ = text.empty() || text.back() == '\n';
    size_t number = 0;
    while (!text.empty()) {
        ++number;
        auto nl = text.find('\n');
        std::string_view raw = text.substr(0, nl);
        text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
        Line line{std::string(raw), std::nullopt};
        std::string_view content = trim(raw);
        if (auto name = not_set_name(content)) {
            line.setting = KconfigSetting{*name, "n"};
        } else if (!content.empty() && !content.starts_with('#')) {
            auto setting = parse_kconfig_assignment(content);
            if (!setting) {
                return fail("{}:{}: {}", origin, number, setting.error().message);
            }
            line.setting = std::move(*setting);
        }
        file.lines_.push_back(std::move(line));
    }
    return file;
}

Result<KconfigFile> KconfigFile::read(const std::string& path) {
    auto text = read_file(path);
    if (!text) {
        return std::unexpected(text.error());
    }
    return parse(*text, path);
}

std::string KconfigFile::text() const {
    std::string out;
    for (size_t i = 0; i < lines_.size(); ++i) {
        out += lines_[i].text;
        if (i + 1 < lines_.size() || final_newline_) {
            out += '\n';
        }
    }
    return out;
}

std::vector<KconfigSetting> KconfigFile::settings() const {
    std::vector<KconfigSetting> out;
    for (const auto& line : lines_) {
        if (line.setting) {
            out.push_back(*line.setting);
        }
    }
    return out;
}

std::optional<std::string> KconfigFile::value(std::string_view name) const {
    // The last assignment wins, as in Kconfig's own reader.
    for (auto it = lines_.rbegin(); it != lines_.rend(); ++it) {
        if (it->setting && it->setting->name == name) {
            return it->setting->value;
        }
    }
    return std::nullopt;
}

void KconfigFile::set(std::string_view name, std::string_view value) {
    Line replacement{line_for(name, value), KconfigSetting{std::string(name), std::string(value)}};
    bool replaced = false;
    std::erase_if(lines_, [&](Line& line) {
        if (!line.setting || line.setting->name != name) {
            return false;
        }
        if (replaced) {
            return true; // later duplicates would override the new value
        }
        line = replacement;
        replaced = true;
        return false;
    });
    if (!replaced) {
        if (!final_newline_) {
            final_newline_ = true;
        }
        lines_.push_back(std::move(replacement));
    }
}

std::vector<KconfigChange> KconfigFile::merge(const KconfigFile& fragment) {
    std::vector<KconfigChange> changes;
    for (const auto& s : fragment.settings()) {
        auto old = value(s.name);
        if (old && *old == s.value) {
            continue;
        }
        changes.push_back({s.name, old, s.value});
        set(s.name, s.value);
    }
    return changes;
}

bool kconfig_value_satisfies(std::string_view wanted, const std::optional<std::string>& actual) {
    std::string_view got = actual ? std::string_view(*actual) : std::string_view("n");
    if (wanted == got) {
        return true;
    }
    if (wanted.starts_with('"') || got.starts_with('"')) {
        auto a = kconfig_unquote(wanted);
        auto b = kconfig_unquote(got);
        return a && b && *a == *b;
    }
    if (is_number(wanted) && is_number(got)) {
        return number_value(wanted) == number_value(got);
    }
    return false;
}

} // namespace kdive::lab
