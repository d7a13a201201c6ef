// gen_init_cpio list parsing with file:line errors.
#include "lab/cpio_spec.hpp"

#include "support/atomic_file.hpp"

#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <sstream>

namespace kdive::lab {

namespace {

std::vector<std::string> split_fields(std::string_view line) {
    std::vector<std::string> fields;
    std::istringstream in{std::string(line)};
    std::string field;
    while (in >> field) {
        fields.push_back(field);
    }
    return fields;
}

Result<uint32_t> parse_number(const std::string& text, int base, const char* what,
                              uint32_t max_value) {
    uint32_t value = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value, base);
    if (ec != std::errc() || ptr != text.data() + text.size() || value > max_value) {
        return fail("bad {} '{}'", what, text);
    }
    return value;
}

struct LineParser {
    const CpioSpecOptions& options;
    std::vector<std::string> fields;
    uint32_t next_link_group = 1;

    Result<CpioEntry> parse() {
        const std::string& type = fields[0];
        if (type == "file") {
            return parse_file();
        }
        if (type == "dir") {
            return parse_simple(CpioType::Directory);
        }
        if (type == "pipe") {
            return parse_simple(CpioType::Fifo);
        }
        if (type == "sock") {
            return parse_simple(CpioType::Socket);
        }
        if (type == "nod") {
            return parse_node();
        }
        if (type == "slink") {
            return parse_symlink();
        }
        return fail("unknown entry type '{}' (expected file, dir, nod, slink, pipe or sock)", type);
    }

    Result<> expect_fields(size_t min, size_t max, const char* usage) {
        if (fields.size() < min || fields.size() > max) {
            return fail("'{}' takes {}", fields[0], usage);
        }
        return {};
    }

    // Fills name, permissions, uid and gid from the fields at the given positions.
    Result<CpioEntry> base_entry(CpioType type, size_t mode_at) {
        CpioEntry entry;
        entry.type = type;
        auto name = normalize_member_name(fields[1]);
        if (!name) {
            return std::unexpected(name.error());
        }
        entry.name = *name;
        auto mode = parse_number(fields[mode_at], 8, "mode", 07777);
        auto uid = parse_number(fields[mode_at + 1], 10, "uid", UINT32_MAX);
        auto gid = parse_number(fields[mode_at + 2], 10, "gid", UINT32_MAX);
        for (const auto* r : {&mode, &uid, &gid}) {
            if (!*r) {
                return std::unexpected(r->error());
            }
        }
        entry.permissions = *mode;
        entry.uid = *uid;
        entry.gid = *gid;
        return entry;
    }

    Result<CpioEntry> parse_simple(CpioType type) {
        if (auto r = expect_fields(5, 5, "<name> <mode> <uid> <gid>"); !r) {
            return std::unexpected(r.error());
        }
        return base_entry(type, 2);
    }

    Result<CpioEntry> parse_node() {
        if (auto r = expect_fields(8, 8, "<name> <mode> <uid> <gid> <dev_type> <maj> <min>"); !r) {
            return std::unexpected(r.error());
        }
        auto entry = base_entry(CpioType::CharDevice, 2);
        if (!entry) {
            return entry;
        }
        if (fields[5] == "b") {
            entry->type = CpioType::BlockDevice;
        } else if (fields[5] != "c") {
            return fail("bad device type '{}' (expected b or c)", fields[5]);
        }
        auto major = parse_number(fields[6], 10, "major number", 0xfff);
        auto minor = parse_number(fields[7], 10, "minor number", 0xfffff);
        if (!major) {
            return std::unexpected(major.error());
        }
        if (!minor) {
            return std::unexpected(minor.error());
        }
        entry->dev_major = *major;
        entry->dev_minor = *minor;
        return entry;
    }

    Result<CpioEntry> parse_symlink() {
        if (auto r = expect_fields(6, 6, "<name> <target> <mode> <uid> <gid>"); !r) {
            return std::unexpected(r.error());
        }
        auto entry = base_entry(CpioType::Symlink, 3);
        if (!entry) {
            return entry;
        }
        entry->data = fields[2];
        return entry;
    }

    Result<CpioEntry> parse_file() {
        if (auto r = expect_fields(6, SIZE_MAX,
                                   "<name> <location> <mode> <uid> <gid> [<hard links>...]");
            !r) {
            return std::unexpected(r.error());
        }
        auto entry = base_entry(CpioType::File, 3);
        if (!entry) {
            return entry;
        }
        auto location = expand_variables(fields[2], options.lookup);
        if (!location) {
            return std::unexpected(location.error());
        }
        std::filesystem::path source(*location);
        if (source.is_relative() && !options.base_dir.empty()) {
            source = options.base_dir / source;
        }
        std::error_code ec;
        if (!std::filesystem::is_regular_file(source, ec)) {
            return fail("source file '{}' does not exist or is not a regular file",
                        source.string());
        }
        auto content = read_file(source);
        if (!content) {
            return std::unexpected(content.error());
        }
        entry->data = std::move(*content);
        return entry;
    }
};

} // namespace

Result<std::string> expand_variables(std::string_view text, const VariableLookup& lookup) {
    std::string out;
    size_t pos = 0;
    while (pos < text.size()) {
        size_t start = text.find("${", pos);
        if (start == std::string_view::npos) {
            out += text.substr(pos);
            break;
        }
        out += text.substr(pos, start - pos);
        size_t end = text.find('}', start + 2);
        if (end == std::string_view::npos) {
            return fail("unterminated '${{' in '{}'", text);
        }
        std::string name(text.substr(start + 2, end - start - 2));
        std::optional<std::string> value;
        if (lookup) {
            value = lookup(name);
        } else if (const char* env = std::getenv(name.c_str()); env != nullptr) {
            value = env;
        }
        if (!value) {
            return fail("variable '{}' is not defined", name);
        }
        out += *value;
        pos = end + 1;
    }
    return out;
}

Result<std::vector<CpioEntry>> parse_cpio_spec(std::string_view text,
                                               const CpioSpecOptions& options) {
    std::vector<CpioEntry> entries;
    LineParser parser{options, {}};
    size_t line_number = 0;
    size_t pos = 0;
    while (pos < text.size()) {
        size_t end = text.find('\n', pos);
        if (end == std::string_view::npos) {
            end = text.size();
        }
        std::string_view line = text.substr(pos, end - pos);
        pos = end + 1;
        ++line_number;
        if (auto hash = line.find('#'); hash != std::string_view::npos) {
            line = line.substr(0, hash);
        }
        parser.fields = split_fields(line);
        if (parser.fields.empty()) {
            continue;
        }
        auto entry = parser.parse();
        if (!entry) {
            return fail("{}:{}: {}", options.origin, line_number, entry.error().message);
        }
        // Extra names after a file's gid are hard links to the same data.
        if (entry->type == CpioType::File && parser.fields.size() > 6) {
            entry->link_group = parser.next_link_group++;
            entries.push_back(*entry);
            for (size_t i = 6; i < parser.fields.size(); ++i) {
                auto name = normalize_member_name(parser.fields[i]);
                if (!name) {
                    return fail("{}:{}: {}", options.origin, line_number, name.error().message);
                }
                CpioEntry link = *entry;
                link.name = *name;
                entries.push_back(std::move(link));
            }
            continue;
        }
        entries.push_back(std::move(*entry));
    }
    return entries;
}

} // namespace kdive::lab
