// Where the host keeps the source files the debug info names. Debian's kernels name theirs
// relative to the build folder ("init/main.c") or under it
// ("/build/reproducible-path/linux-6.1.176/arch/x86/kernel/head_64.S"); a kdive build names
// real paths. A source directory and GDB-style substitute-path rules map them to the host.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kdive::debuginfo {

class SourceFiles {
public:
    // The tree relative names (and absolute ones, once their build prefix is dropped) are in.
    void set_directory(std::filesystem::path directory);
    const std::filesystem::path& directory() const { return directory_; }
    // GDB's `set substitute-path FROM TO`: a name starting with FROM (whole path components)
    // is looked for with TO instead. A later rule for the same FROM replaces the earlier one.
    void substitute(std::string from, std::string to);
    const std::vector<std::pair<std::string, std::string>>& substitutions() const {
        return substitutions_;
    }

    // The host file for a name from the debug info, `compile_dir` the unit's DW_AT_comp_dir
    // when known; nullopt when no candidate exists.
    std::optional<std::filesystem::path> find(std::string_view name,
                                              std::string_view compile_dir = {}) const;
    // The file's lines (cached; 1-based line N is [N - 1]); nullptr when it cannot be read.
    const std::vector<std::string>* lines(const std::filesystem::path& file);

private:
    std::vector<std::string> candidates(std::string_view name, std::string_view compile_dir) const;

    std::filesystem::path directory_;
    std::vector<std::pair<std::string, std::string>> substitutions_;
    std::map<std::filesystem::path, std::vector<std::string>> cache_;
};

} // namespace kdive::debuginfo
