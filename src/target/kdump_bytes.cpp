// Plain and flattened kdump files as one byte range. The flattened form's records are read
// once, header by header, and folded into non-overlapping pieces: a later record replaces what
// an earlier one put at the same plain offsets, as makedumpfile -R rewrites them in order.
#include "target/kdump_bytes.hpp"

#include "support/positional_read.hpp"
#include "target/kdump_format.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <iterator>
#include <map>
#include <sys/stat.h>
#include <unistd.h>

namespace kdive::target {

namespace {

// Record headers are read through a window so that runs of small records cost one read.
constexpr std::size_t record_window = std::size_t{64} * 1024;

// Plain start -> {plain end, offset in the flattened file}.
using PieceMap = std::map<std::uint64_t, std::pair<std::uint64_t, std::uint64_t>>;

// Places [start, end) at `file_offset`, cutting away whatever earlier pieces held there.
// Each call adds at most two pieces and removes the ones it covers, so n records cost
// O(n log n) however they overlap.
void overwrite(PieceMap& pieces, std::uint64_t start, std::uint64_t end, std::uint64_t file) {
    auto it = pieces.lower_bound(start);
    if (it != pieces.begin()) {
        auto before = std::prev(it);
        auto& [before_end, before_file] = before->second;
        if (before_end > start) {
            if (before_end > end) {
                // The new piece lands inside an old one: keep the old one's tail after it.
                pieces.emplace(end, std::pair{before_end, before_file + (end - before->first)});
            }
            before_end = start;
        }
    }
    while (it != pieces.end() && it->first < end) {
        const std::uint64_t old_start = it->first;
        const auto [old_end, old_file] = it->second;
        it = pieces.erase(it);
        if (old_end > end) {
            pieces.emplace(end, std::pair{old_end, old_file + (end - old_start)});
        }
    }
    pieces.insert_or_assign(start, std::pair{end, file});
}

} // namespace

KdumpBytes::~KdumpBytes() {
    if (fd_ >= 0) {
        ::close(fd_);
    }
}

Result<std::unique_ptr<KdumpBytes>> KdumpBytes::open(const std::filesystem::path& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return fail("{}: cannot open: {}", path.string(), std::strerror(errno));
    }
    std::unique_ptr<KdumpBytes> bytes(new KdumpBytes(path, fd));
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        return fail("{}: {}", path.string(), std::strerror(errno));
    }
    if (!S_ISREG(st.st_mode)) {
        return fail_as(ErrorKind::invalid_input, "{}: not a regular file", path.string());
    }
    bytes->file_size_ = static_cast<std::uint64_t>(st.st_size);
    std::array<std::uint8_t, kdump::flat_signature.size()> head{};
    if (bytes->file_size_ >= head.size()) {
        if (auto ok = bytes->read_file(0, head); !ok) {
            return std::unexpected(ok.error());
        }
        bytes->flattened_ = std::equal(head.begin(), head.end(), kdump::flat_signature.begin());
    }
    if (!bytes->flattened_) {
        bytes->plain_size_ = bytes->file_size_;
    } else if (auto ok = bytes->scan_records(); !ok) {
        return std::unexpected(ok.error());
    }
    return bytes;
}

Result<> KdumpBytes::read_file(std::uint64_t offset, std::span<std::uint8_t> out) const {
    return read_exactly_at(fd_, offset, out, path_);
}

Result<> KdumpBytes::scan_records() {
    if (file_size_ < kdump::flat_header_size) {
        return fail_as(ErrorKind::corrupt,
                       "{}: truncated: {} bytes are too few for the flattened header of {}",
                       path_.string(), file_size_, kdump::flat_header_size);
    }
    std::array<std::uint8_t, 32> header{};
    if (auto ok = read_file(0, header); !ok) {
        return ok;
    }
    const std::int64_t type = kdump::load_be64(header, 16);
    const std::int64_t version = kdump::load_be64(header, 24);
    if (type != kdump::flat_type || version != kdump::flat_version) {
        return fail_as(
            ErrorKind::unsupported,
            "{}: flattened header of type {} version {} (kdive reads type {} version {})",
            path_.string(), type, version, kdump::flat_type, kdump::flat_version);
    }
    PieceMap pieces;
    std::vector<std::uint8_t> window;
    std::uint64_t window_start = 0;
    std::uint64_t at = kdump::flat_header_size;
    for (;;) {
        if (file_size_ - at < kdump::flat_record_header_size) {
            return fail_as(ErrorKind::corrupt,
                           "{}: truncated: the file ends at offset {:#x}, before the record that "
                           "ends the flattened data",
                           path_.string(), file_size_);
        }
        if (at < window_start ||
            at + kdump::flat_record_header_size > window_start + window.size()) {
            window.resize(
                static_cast<std::size_t>(std::min<std::uint64_t>(record_window, file_size_ - at)));
            window_start = at;
            if (auto ok = read_file(at, window); !ok) {
                return ok;
            }
        }
        const auto record = std::span<const std::uint8_t>(window).subspan(
            static_cast<std::size_t>(at - window_start), kdump::flat_record_header_size);
        const std::int64_t offset = kdump::load_be64(record, 0);
        const std::int64_t size = kdump::load_be64(record, 8);
        if (offset == kdump::flat_end) {
            break;
        }
        const std::uint64_t data_at = at + kdump::flat_record_header_size;
        if (offset < 0 || size < 0) {
            return fail_as(ErrorKind::corrupt,
                           "{}: the record at offset {:#x} places {} bytes at plain offset {}",
                           path_.string(), at, size, offset);
        }
        if (static_cast<std::uint64_t>(size) > file_size_ - data_at) {
            return fail_as(ErrorKind::corrupt,
                           "{}: truncated: the record at offset {:#x} holds {} bytes but the file "
                           "ends at offset {:#x}",
                           path_.string(), at, size, file_size_);
        }
        // Both are below 2^63, so their sum fits.
        const auto start = static_cast<std::uint64_t>(offset);
        const auto end = start + static_cast<std::uint64_t>(size);
        if (size > 0) {
            overwrite(pieces, start, end, data_at);
            plain_size_ = std::max(plain_size_, end);
        }
        at = data_at + static_cast<std::uint64_t>(size);
    }
    pieces_.reserve(pieces.size());
    for (const auto& [start, rest] : pieces) {
        pieces_.push_back({start, rest.first, rest.second});
    }
    return {};
}

Result<> KdumpBytes::read(std::uint64_t offset, std::span<std::uint8_t> out) const {
    if (offset > plain_size_ || plain_size_ - offset < out.size()) {
        return fail_as(ErrorKind::corrupt,
                       "{}: truncated: {} bytes at offset {:#x} run past the end ({:#x})",
                       path_.string(), out.size(), offset, plain_size_);
    }
    if (!flattened_) {
        return read_file(offset, out);
    }
    auto it = std::ranges::upper_bound(pieces_, offset, {}, &Piece::start);
    if (it != pieces_.begin() && std::prev(it)->end > offset) {
        --it;
    }
    std::size_t done = 0;
    while (done < out.size()) {
        const std::uint64_t at = offset + done;
        const std::size_t left = out.size() - done;
        if (it == pieces_.end() || it->start > at) {
            // No record wrote here: makedumpfile -R would leave a hole, which reads as zeros.
            const std::uint64_t gap = it == pieces_.end() ? left : it->start - at;
            const auto length = static_cast<std::size_t>(std::min<std::uint64_t>(gap, left));
            std::fill_n(out.begin() + static_cast<std::ptrdiff_t>(done), length, 0);
            done += length;
            continue;
        }
        const auto length = static_cast<std::size_t>(std::min<std::uint64_t>(it->end - at, left));
        if (auto ok = read_file(it->file_offset + (at - it->start), out.subspan(done, length));
            !ok) {
            return ok;
        }
        done += length;
        ++it;
    }
    return {};
}

} // namespace kdive::target
