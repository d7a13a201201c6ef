// Temporary-then-rename output files.
#include "support/atomic_file.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace kdive {

Result<AtomicFile> AtomicFile::create(const std::filesystem::path& path, unsigned mode) {
    auto dir = path.parent_path().empty() ? std::filesystem::path(".") : path.parent_path();
    std::string pattern = (dir / ("." + path.filename().string() + ".tmp-XXXXXX")).string();
    int fd = mkstemp(pattern.data());
    if (fd < 0) {
        return fail("cannot create a temporary file for {}: {}", path.string(),
                    std::strerror(errno));
    }
    if (fchmod(fd, mode) != 0) {
        int err = errno;
        close(fd);
        unlink(pattern.c_str());
        return fail("cannot set mode of {}: {}", pattern, std::strerror(err));
    }
    return AtomicFile(path, pattern, fd);
}

AtomicFile::AtomicFile(AtomicFile&& other) noexcept
    : final_(std::move(other.final_)), temp_(std::move(other.temp_)), fd_(other.fd_) {
    other.fd_ = -1;
    other.temp_.clear();
}

AtomicFile::~AtomicFile() {
    if (fd_ >= 0) {
        close(fd_);
    }
    if (!temp_.empty()) {
        unlink(temp_.c_str());
    }
}

Result<> AtomicFile::write(std::string_view bytes) {
    while (!bytes.empty()) {
        ssize_t n = ::write(fd_, bytes.data(), bytes.size());
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return fail("writing {}: {}", final_.string(), std::strerror(errno));
        }
        bytes.remove_prefix(static_cast<size_t>(n));
    }
    return {};
}

Result<> AtomicFile::commit(bool durable) {
    if ((durable && fsync(fd_) != 0) || close(fd_) != 0) {
        fd_ = -1;
        return fail("writing {}: {}", final_.string(), std::strerror(errno));
    }
    fd_ = -1;
    if (rename(temp_.c_str(), final_.c_str()) != 0) {
        return fail("renaming {} to {}: {}", temp_.string(), final_.string(), std::strerror(errno));
    }
    temp_.clear();
    return {};
}

Result<> write_file_atomically(const std::filesystem::path& path, std::string_view bytes,
                               unsigned mode, bool durable) {
    auto file = AtomicFile::create(path, mode);
    if (!file) {
        return std::unexpected(file.error());
    }
    if (auto r = file->write(bytes); !r) {
        return r;
    }
    return file->commit(durable);
}

Result<std::string> read_file(const std::filesystem::path& path) {
    const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return fail("cannot open {}: {}", path.string(), std::strerror(errno));
    }
    struct stat st {};
    std::string out;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
        out.reserve(static_cast<std::size_t>(st.st_size));
    }
    // Read to the end rather than trusting the size: the file may grow, or be a pipe.
    char chunk[1 << 16];
    for (;;) {
        const ssize_t n = ::read(fd, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            const int err = errno;
            close(fd);
            return fail("cannot read {}: {}", path.string(), std::strerror(err));
        }
        if (n == 0) {
            break;
        }
        out.append(chunk, static_cast<std::size_t>(n));
    }
    close(fd);
    return out;
}

} // namespace kdive
