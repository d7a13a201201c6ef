// Writes an output file through a temporary beside it and renames it into place.
#pragma once

#include "support/error.hpp"

#include <filesystem>
#include <string_view>

namespace kdive {

// An output file that only appears under its final name once commit() succeeds.
// Dropping it uncommitted removes the temporary, so no half-written file is left.
class AtomicFile {
public:
    static Result<AtomicFile> create(const std::filesystem::path& path, unsigned mode = 0644);
    AtomicFile(AtomicFile&& other) noexcept;
    AtomicFile& operator=(AtomicFile&&) = delete;
    AtomicFile(const AtomicFile&) = delete;
    AtomicFile& operator=(const AtomicFile&) = delete;
    ~AtomicFile();

    Result<> write(std::string_view bytes);
    // Renames into place; with `durable`, after the bytes reach the disk (fsync). A cache that
    // checks its own contents can skip that wait.
    Result<> commit(bool durable = true);
    int fd() const { return fd_; }
    const std::filesystem::path& temp_path() const { return temp_; }

private:
    AtomicFile(std::filesystem::path final_path, std::filesystem::path temp, int fd)
        : final_(std::move(final_path)), temp_(std::move(temp)), fd_(fd) {}
    std::filesystem::path final_;
    std::filesystem::path temp_;
    int fd_ = -1;
};

// Writes a whole file atomically.
Result<> write_file_atomically(const std::filesystem::path& path, std::string_view bytes,
                               unsigned mode = 0644, bool durable = true);

Result<std::string> read_file(const std::filesystem::path& path);

} // namespace kdive
