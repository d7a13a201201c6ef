// pread may return fewer bytes than asked (signals, pipes, the end of the file): loop until
// the range is whole or the file has said all it has.
#include "support/positional_read.hpp"

#include <cerrno>
#include <cstring>
#include <unistd.h>

namespace kdive {

Result<> read_exactly_at(int fd, std::uint64_t offset, std::span<std::uint8_t> out,
                         const std::filesystem::path& path) {
    std::size_t done = 0;
    while (done < out.size()) {
        const ssize_t got =
            ::pread(fd, out.data() + done, out.size() - done, static_cast<off_t>(offset + done));
        if (got < 0 && errno == EINTR) {
            continue;
        }
        if (got < 0) {
            return fail("{}: reading {} bytes at offset {:#x}: {}", path.string(), out.size(),
                        offset, std::strerror(errno));
        }
        if (got == 0) {
            return fail_as(ErrorKind::corrupt, "{}: truncated: the file ends at offset {:#x}",
                           path.string(), offset + done);
        }
        done += static_cast<std::size_t>(got);
    }
    return {};
}

} // namespace kdive
