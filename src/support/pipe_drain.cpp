// poll() over two pipes with an optional deadline.
#include "support/pipe_drain.hpp"

#include <array>
#include <cerrno>
#include <poll.h>
#include <unistd.h>

namespace kdive {

bool drain_pipes(int out_fd, int err_fd, std::string& out, std::string& err,
                 std::optional<std::chrono::steady_clock::time_point> deadline) {
    std::array<pollfd, 2> fds{pollfd{out_fd, POLLIN, 0}, pollfd{err_fd, POLLIN, 0}};
    std::array<std::string*, 2> sinks{&out, &err};
    int open_fds = 0;
    for (const auto& f : fds) {
        open_fds += f.fd >= 0 ? 1 : 0;
    }
    while (open_fds > 0) {
        int wait_ms = -1;
        if (deadline) {
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                *deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0) {
                return false;
            }
            wait_ms = static_cast<int>(left.count());
        }
        int n = poll(fds.data(), fds.size(), wait_ms);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            return true;
        }
        for (size_t i = 0; i < fds.size(); ++i) {
            if (fds[i].fd < 0 || fds[i].revents == 0) {
                continue;
            }
            std::array<char, 65536> buf{};
            ssize_t got = read(fds[i].fd, buf.data(), buf.size());
            if (got > 0) {
                sinks[i]->append(buf.data(), static_cast<size_t>(got));
            } else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
                fds[i].fd = -1;
                --open_fds;
            }
        }
    }
    return true;
}

} // namespace kdive
