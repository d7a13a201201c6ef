// An exclusive flock on a file in the cache: serialises fetches of one thing between processes.
#pragma once

#include "support/error.hpp"

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <utility>

namespace kdive::lab {

class FetchLock {
public:
    // Blocks until the lock is ours; `waiting` hears once when another process holds it.
    static Result<FetchLock> acquire(const std::filesystem::path& file,
                                     const std::function<void(std::string_view)>& waiting);
    FetchLock(FetchLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    FetchLock& operator=(FetchLock&&) = delete;
    FetchLock(const FetchLock&) = delete;
    FetchLock& operator=(const FetchLock&) = delete;
    ~FetchLock();

private:
    explicit FetchLock(int fd) : fd_(fd) {}
    int fd_ = -1;
};

// Removes a temporary folder unless release() was called (it was renamed into place).
class TempFolder {
public:
    explicit TempFolder(std::filesystem::path path) : path_(std::move(path)) {}
    TempFolder(const TempFolder&) = delete;
    TempFolder& operator=(const TempFolder&) = delete;
    ~TempFolder() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
};

// Removes the siblings in `dir` whose names start with `prefix`: what interrupted runs left.
void remove_leftovers(const std::filesystem::path& dir, std::string_view prefix);

// The name prefix of the temporary folders a fetch of `name` unpacks into (".NAME.tmp-"); the
// process id completes it, and remove_leftovers() finds what interrupted fetches left.
std::string temp_prefix(std::string_view name);

} // namespace kdive::lab
