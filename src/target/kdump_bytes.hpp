// The bytes of a plain kdump-compressed file, whether the file on disk is plain or flattened:
// a flattened file is read in place through a map of its records, never converted.
#pragma once

#include "support/error.hpp"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <vector>

namespace kdive::target {

class KdumpBytes {
public:
    // Opens `path`; a file starting with "makedumpfile" has its records scanned once here.
    static Result<std::unique_ptr<KdumpBytes>> open(const std::filesystem::path& path);
    ~KdumpBytes();
    KdumpBytes(const KdumpBytes&) = delete;
    KdumpBytes& operator=(const KdumpBytes&) = delete;

    // Bytes [offset, offset + out.size()) of the plain file. Flattened parts no record wrote
    // read as zeros (as makedumpfile -R leaves them); past the end is a `corrupt` error naming
    // the offset.
    Result<> read(std::uint64_t offset, std::span<std::uint8_t> out) const;
    // The plain file's size: the file's own, or the end of the furthest record.
    std::uint64_t size() const { return plain_size_; }
    // Bytes on disk. Whatever a header asks to hold in memory must fit in this many.
    std::uint64_t file_size() const { return file_size_; }
    bool flattened() const { return flattened_; }
    const std::filesystem::path& path() const { return path_; }

private:
    // A run of the plain file that sits at `file_offset` of the flattened file.
    struct Piece {
        std::uint64_t start = 0;
        std::uint64_t end = 0;
        std::uint64_t file_offset = 0;
    };

    KdumpBytes(std::filesystem::path path, int fd) : path_(std::move(path)), fd_(fd) {}
    Result<> read_file(std::uint64_t offset, std::span<std::uint8_t> out) const;
    Result<> scan_records();

    std::filesystem::path path_;
    int fd_ = -1;
    std::uint64_t file_size_ = 0;
    std::uint64_t plain_size_ = 0;
    bool flattened_ = false;
    std::vector<Piece> pieces_; // flattened only: by start, not overlapping
};

} // namespace kdive::target
