// Parsers for sources.list(5) in both formats and the choice of the host's Debian mirror.
#include "lab/apt_sources.hpp"

#include "support/atomic_file.hpp"
#include "support/text.hpp"

#include <algorithm>
#include <cctype>

namespace kdive::lab {

namespace {

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

std::vector<std::string> split_words(std::string_view s) {
    std::vector<std::string> words;
    size_t i = 0;
    while (i < s.size()) {
        while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) {
            ++i;
        }
        size_t start = i;
        while (i < s.size() && !std::isspace(static_cast<unsigned char>(s[i]))) {
            ++i;
        }
        if (i > start) {
            words.emplace_back(s.substr(start, i - start));
        }
    }
    return words;
}

std::vector<std::string_view> split_lines(std::string_view text) {
    std::vector<std::string_view> lines;
    size_t start = 0;
    while (start < text.size()) {
        size_t end = text.find('\n', start);
        if (end == std::string_view::npos) {
            end = text.size();
        }
        lines.push_back(text.substr(start, end - start));
        start = end + 1;
    }
    return lines;
}

// `[arch=amd64 signed-by=/x.gpg]`: options are space separated key=value (or key+=value) pairs.
void parse_bracket_options(std::string_view inside, std::map<std::string, std::string>& out) {
    for (const auto& word : split_words(inside)) {
        size_t eq = word.find('=');
        if (eq == std::string::npos) {
            continue;
        }
        std::string key = word.substr(0, eq);
        if (!key.empty() && (key.back() == '+' || key.back() == '-')) {
            key.pop_back();
        }
        out[lower(key)] = word.substr(eq + 1);
    }
}

void finish_paragraph(std::map<std::string, std::string>& fields,
                      std::vector<AptSourceEntry>& out) {
    if (fields.empty()) {
        return;
    }
    AptSourceEntry entry;
    for (const auto& [key, value] : fields) {
        if (key == "types") {
            entry.types = split_words(value);
        } else if (key == "uris") {
            entry.uris = split_words(value);
        } else if (key == "suites") {
            entry.suites = split_words(value);
        } else if (key == "components") {
            entry.components = split_words(value);
        } else {
            entry.options[key] = std::string(trim(value));
        }
    }
    fields.clear();
    if (lower(entry.options["enabled"]) == "no") {
        return;
    }
    if (!entry.types.empty() && !entry.uris.empty() && !entry.suites.empty()) {
        out.push_back(std::move(entry));
    }
}

bool contains(const std::vector<std::string>& list, std::string_view value) {
    return std::find(list.begin(), list.end(), value) != list.end();
}

bool usable_source(const AptSourceEntry& e) {
    return contains(e.types, "deb") && !e.uris.empty() && !e.uris.front().starts_with("cdrom:");
}

// A suite that is a release's main archive rather than an add-on (-updates, -security,
// -backports) or a third-party repository's own naming.
bool is_debian_main_suite(std::string_view suite) {
    return suite == "stable" || suite == "testing" || suite == "unstable" || suite == "sid";
}

} // namespace

std::vector<AptSourceEntry> AptSources::parse_one_line(std::string_view text) {
    std::vector<AptSourceEntry> out;
    for (auto raw : split_lines(text)) {
        std::string_view line = raw.substr(0, raw.find('#'));
        line = trim(line);
        if (line.empty()) {
            continue;
        }
        AptSourceEntry entry;
        size_t type_end = line.find_first_of(" \t");
        if (type_end == std::string_view::npos) {
            continue;
        }
        entry.types.emplace_back(line.substr(0, type_end));
        std::string_view rest = trim(line.substr(type_end));
        if (!rest.empty() && rest.front() == '[') {
            size_t close = rest.find(']');
            if (close == std::string_view::npos) {
                continue; // malformed: apt itself rejects it
            }
            parse_bracket_options(rest.substr(1, close - 1), entry.options);
            rest = trim(rest.substr(close + 1));
        }
        auto words = split_words(rest);
        if (words.size() < 2) {
            continue;
        }
        entry.uris.push_back(words[0]);
        entry.suites.push_back(words[1]);
        entry.components.assign(words.begin() + 2, words.end());
        out.push_back(std::move(entry));
    }
    return out;
}

std::vector<AptSourceEntry> AptSources::parse_deb822(std::string_view text) {
    std::vector<AptSourceEntry> out;
    std::map<std::string, std::string> fields;
    std::string current;
    for (auto raw : split_lines(text)) {
        if (!raw.empty() && raw.front() == '#') {
            continue;
        }
        if (trim(raw).empty()) {
            finish_paragraph(fields, out);
            current.clear();
            continue;
        }
        if (std::isspace(static_cast<unsigned char>(raw.front()))) {
            if (!current.empty()) {
                fields[current] += "\n" + std::string(trim(raw)); // continuation line
            }
            continue;
        }
        size_t colon = raw.find(':');
        if (colon == std::string_view::npos) {
            continue;
        }
        current = lower(trim(raw.substr(0, colon)));
        fields[current] = std::string(trim(raw.substr(colon + 1)));
    }
    finish_paragraph(fields, out);
    return out;
}

HostRelease AptSources::parse_os_release(std::string_view text) {
    HostRelease release;
    for (auto raw : split_lines(text)) {
        std::string_view line = trim(raw);
        size_t eq = line.find('=');
        if (eq == std::string_view::npos) {
            continue;
        }
        std::string_view key = line.substr(0, eq);
        std::string_view value = line.substr(eq + 1);
        if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
            value.back() == value.front()) {
            value = value.substr(1, value.size() - 2);
        }
        if (key == "ID") {
            release.id = value;
        } else if (key == "VERSION_CODENAME") {
            release.codename = value;
        }
    }
    return release;
}

std::vector<AptSourceEntry> AptSources::read_host(const std::filesystem::path& root) {
    std::vector<AptSourceEntry> out;
    auto append = [&out](std::vector<AptSourceEntry> more) {
        out.insert(out.end(), std::make_move_iterator(more.begin()),
                   std::make_move_iterator(more.end()));
    };
    auto etc = root / "etc" / "apt";
    if (auto text = read_file(etc / "sources.list")) {
        append(parse_one_line(*text));
    }
    std::error_code ec;
    std::vector<std::filesystem::path> parts;
    for (const auto& item : std::filesystem::directory_iterator(etc / "sources.list.d", ec)) {
        parts.push_back(item.path());
    }
    std::sort(parts.begin(), parts.end()); // apt reads them in this order too
    for (const auto& part : parts) {
        auto ext = part.extension();
        if (ext != ".list" && ext != ".sources") {
            continue; // apt ignores other names (.disabled, .save, ...)
        }
        auto text = read_file(part);
        if (!text) {
            continue;
        }
        append(ext == ".list" ? parse_one_line(*text) : parse_deb822(*text));
    }
    return out;
}

HostRelease AptSources::read_host_release(const std::filesystem::path& root) {
    for (const auto& candidate : {root / "etc" / "os-release", root / "usr/lib/os-release"}) {
        if (auto text = read_file(candidate)) {
            return parse_os_release(*text);
        }
    }
    return {};
}

Result<std::string> AptSources::debian_mirror(const std::vector<AptSourceEntry>& entries,
                                              const HostRelease& release) {
    if (!release.id.empty() && release.id != "debian") {
        return fail("the host is {}, not Debian: its apt sources name no Debian mirror; pass "
                    "--mirror URL",
                    release.id);
    }
    for (const auto& entry : entries) {
        if (usable_source(entry) && !release.codename.empty() &&
            contains(entry.suites, release.codename)) {
            return entry.uris.front();
        }
    }
    // A host without a codename (sid) names its suite by alias.
    for (const auto& entry : entries) {
        if (usable_source(entry) &&
            std::any_of(entry.suites.begin(), entry.suites.end(),
                        [](const auto& s) { return is_debian_main_suite(s); })) {
            return entry.uris.front();
        }
    }
    return fail("no apt source in /etc/apt/sources.list or /etc/apt/sources.list.d serves the "
                "host's Debian suite{}{}; pass --mirror URL",
                release.codename.empty() ? "" : " ", release.codename);
}

std::string AptSources::security_mirror(const std::vector<AptSourceEntry>& entries,
                                        const HostRelease& release) {
    if (!release.id.empty() && release.id != "debian") {
        return {};
    }
    auto serves = [&entries](auto&& wanted) -> std::string {
        for (const auto& entry : entries) {
            if (usable_source(entry) &&
                std::any_of(entry.suites.begin(), entry.suites.end(), wanted)) {
                return entry.uris.front();
            }
        }
        return {};
    };
    if (!release.codename.empty()) {
        const std::string own = release.codename + "-security";
        if (auto uri = serves([&own](const std::string& s) { return s == own; }); !uri.empty()) {
            return uri;
        }
    }
    // Any release's security suite lives at the same place (trixie-security beside
    // bookworm-security).
    return serves([](const std::string& s) { return s.ends_with("-security"); });
}

} // namespace kdive::lab
