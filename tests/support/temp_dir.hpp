// A scratch folder for one test, removed afterwards.
#pragma once

#include <filesystem>
#include <string>
#include <unistd.h>

namespace kdive::testing {

class TempDir {
public:
    explicit TempDir(const std::string& tag) {
        std::string pattern =
            (std::filesystem::temp_directory_path() / ("kdive-" + tag + "-XXXXXX")).string();
        path_ = mkdtemp(pattern.data()) != nullptr ? pattern : std::string();
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    const std::filesystem::path& path() const { return path_; }
    std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

private:
    std::filesystem::path path_;
};

} // namespace kdive::testing
