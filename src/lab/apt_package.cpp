// Parses the control fields kdive needs out of `apt-cache show` output.
#include "lab/apt_package.hpp"

#include "support/text.hpp"

#include <cctype>
#include <charconv>
#include <map>

namespace kdive::lab {

namespace {

std::uint64_t to_number(std::string_view s) {
    std::uint64_t value = 0;
    s = trim(s);
    std::from_chars(s.data(), s.data() + s.size(), value);
    return value;
}

template <typename Fn> void split(std::string_view s, char sep, Fn&& fn) {
    size_t start = 0;
    while (start <= s.size()) {
        size_t end = s.find(sep, start);
        if (end == std::string_view::npos) {
            end = s.size();
        }
        fn(s.substr(start, end - start));
        start = end + 1;
    }
}

PackageRecord make_record(const std::map<std::string, std::string, std::less<>>& fields) {
    PackageRecord record;
    auto get = [&fields](std::string_view key) -> std::string_view {
        auto it = fields.find(key);
        return it == fields.end() ? std::string_view() : std::string_view(it->second);
    };
    record.name = get("Package");
    record.version = get("Version");
    record.filename = get("Filename");
    record.size = to_number(get("Size"));
    record.installed = to_number(get("Installed-Size")) * 1024;
    for (auto key : {"Pre-Depends", "Depends"}) {
        auto groups = parse_depends(get(key));
        record.depends.insert(record.depends.end(), groups.begin(), groups.end());
    }
    return record;
}

} // namespace

std::vector<std::vector<std::string>> parse_depends(std::string_view field) {
    std::vector<std::vector<std::string>> groups;
    split(field, ',', [&groups](std::string_view group) {
        std::vector<std::string> names;
        split(group, '|', [&names](std::string_view alternative) {
            alternative = trim(alternative);
            size_t end = 0;
            while (end < alternative.size() &&
                   !std::isspace(static_cast<unsigned char>(alternative[end])) &&
                   alternative[end] != '(' && alternative[end] != '[' && alternative[end] != '<' &&
                   alternative[end] != ':') {
                ++end;
            }
            if (end > 0) {
                names.emplace_back(alternative.substr(0, end));
            }
        });
        if (!names.empty()) {
            groups.push_back(std::move(names));
        }
    });
    return groups;
}

std::vector<PackageRecord> parse_package_records(std::string_view text) {
    std::vector<PackageRecord> records;
    std::map<std::string, std::string, std::less<>> fields;
    std::string current;
    auto finish = [&] {
        if (fields.count("Package") != 0) {
            records.push_back(make_record(fields));
        }
        fields.clear();
        current.clear();
    };
    split(text, '\n', [&](std::string_view line) {
        if (trim(line).empty()) {
            finish();
            return;
        }
        if (std::isspace(static_cast<unsigned char>(line.front()))) {
            if (!current.empty()) {
                fields[current] += " ";
                fields[current] += trim(line);
            }
            return;
        }
        size_t colon = line.find(':');
        if (colon == std::string_view::npos) {
            return;
        }
        current = std::string(line.substr(0, colon));
        fields[current] = std::string(trim(line.substr(colon + 1)));
    });
    finish();
    return records;
}

} // namespace kdive::lab
