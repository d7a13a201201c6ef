// flock-based cache lock and leftover cleanup shared by the kernel and source fetchers.
#include "lab/fetch_lock.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <unistd.h>
#include <vector>

namespace kdive::lab {

namespace fs = std::filesystem;

Result<FetchLock> FetchLock::acquire(const fs::path& file,
                                     const std::function<void(std::string_view)>& waiting) {
    int fd = open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        return fail("opening lock {}: {}", file.string(), std::strerror(errno));
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        if (waiting) {
            waiting(fmt::format("waiting for another kdive holding {}", file.string()));
        }
        while (flock(fd, LOCK_EX) != 0) {
            if (errno != EINTR) {
                int err = errno;
                close(fd);
                return fail("locking {}: {}", file.string(), std::strerror(err));
            }
        }
    }
    return FetchLock(fd);
}

FetchLock::~FetchLock() {
    if (fd_ >= 0) {
        close(fd_);
    }
}

void remove_leftovers(const fs::path& dir, std::string_view prefix) {
    std::error_code ec;
    std::vector<fs::path> stale;
    for (const auto& item : fs::directory_iterator(dir, ec)) {
        if (item.path().filename().string().starts_with(prefix)) {
            stale.push_back(item.path());
        }
    }
    for (const auto& path : stale) {
        fs::remove_all(path, ec);
    }
}

std::string temp_prefix(std::string_view name) {
    return fmt::format(".{}.tmp-", name);
}

} // namespace kdive::lab
