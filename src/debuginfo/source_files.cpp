// Candidates in order: the user's substitutions, the name itself, the name under the source
// directory, then (for absolute names) its tail under the directory, dropping leading
// components until a file exists: the build folder's prefix is not known in advance.
#include "debuginfo/source_files.hpp"

#include <fstream>

namespace kdive::debuginfo {

namespace fs = std::filesystem;

namespace {

// FROM is a prefix of NAME ending at a component boundary.
bool has_prefix(std::string_view name, std::string_view from) {
    if (from.empty() || !name.starts_with(from)) {
        return false;
    }
    return name.size() == from.size() || from.back() == '/' || name[from.size()] == '/';
}

bool is_file(const fs::path& path) {
    std::error_code ec;
    return fs::is_regular_file(path, ec);
}

} // namespace

void SourceFiles::set_directory(fs::path directory) {
    directory_ = std::move(directory);
    cache_.clear();
}

void SourceFiles::substitute(std::string from, std::string to) {
    while (from.size() > 1 && from.back() == '/') {
        from.pop_back();
    }
    for (auto& rule : substitutions_) {
        if (rule.first == from) {
            rule.second = std::move(to);
            return;
        }
    }
    substitutions_.emplace_back(std::move(from), std::move(to));
}

std::vector<std::string> SourceFiles::candidates(std::string_view name,
                                                 std::string_view compile_dir) const {
    std::vector<std::string> names;
    if (!name.starts_with('/') && !compile_dir.empty()) {
        names.push_back((fs::path(compile_dir) / name).string());
    }
    names.emplace_back(name);
    std::vector<std::string> out;
    for (const auto& full : names) {
        for (const auto& [from, to] : substitutions_) {
            if (has_prefix(full, from)) {
                out.push_back(to + full.substr(from.size()));
            }
        }
    }
    for (const auto& full : names) {
        out.push_back(full);
        if (!directory_.empty() && !full.starts_with('/')) {
            out.push_back((directory_ / full).string());
        }
    }
    if (!directory_.empty()) {
        // "/build/reproducible-path/linux-6.1.176/arch/x86/..." -> DIR/"arch/x86/...".
        for (const auto& full : names) {
            std::string_view tail = full;
            while (tail.starts_with('/')) {
                const auto next = tail.find('/', 1);
                if (next == std::string_view::npos) {
                    break;
                }
                tail.remove_prefix(next);
                out.push_back((directory_ / tail.substr(1)).string());
            }
        }
    }
    return out;
}

std::optional<fs::path> SourceFiles::find(std::string_view name,
                                          std::string_view compile_dir) const {
    if (name.empty()) {
        return std::nullopt;
    }
    for (const auto& candidate : candidates(name, compile_dir)) {
        if (is_file(candidate)) {
            return fs::path(candidate);
        }
    }
    return std::nullopt;
}

const std::vector<std::string>* SourceFiles::lines(const fs::path& file) {
    if (auto cached = cache_.find(file); cached != cache_.end()) {
        return &cached->second;
    }
    std::ifstream in(file, std::ios::binary);
    if (!in) {
        return nullptr;
    }
    std::vector<std::string> lines;
    std::string line;
    // A source file far beyond any real one is not read whole.
    constexpr std::size_t most_lines = 1'000'000;
    while (lines.size() < most_lines && std::getline(in, line)) {
        if (!line.empty() && line.back() == '\r') {
            line.pop_back();
        }
        lines.push_back(std::move(line));
    }
    return &cache_.emplace(file, std::move(lines)).first->second;
}

} // namespace kdive::debuginfo
