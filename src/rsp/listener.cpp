// The socket file gets its 0600 mode between bind() and listen(): before listen() nobody can
// connect, so there is no window in which another user could.
#include "rsp/listener.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

namespace kdive::rsp {

namespace {

// True when something accepts connections at the Unix socket `path`.
bool socket_in_use(const sockaddr_un& address) {
    const int probe = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (probe < 0) {
        return true;
    }
    const bool used =
        ::connect(probe, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
    ::close(probe);
    return used;
}

Result<Listener> fail_closing(int fd, Error error) {
    ::close(fd);
    return std::unexpected(std::move(error));
}

} // namespace

Result<Listener> Listener::open(const Endpoint& endpoint) {
    const std::string name = endpoint.to_string();
    if (endpoint.kind == Endpoint::Kind::unix_socket) {
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        if (endpoint.path.empty() || endpoint.path.size() >= sizeof address.sun_path) {
            return fail_as(ErrorKind::invalid_input,
                           "listening on {}: socket path must have 1 "
                           "to {} bytes",
                           name, sizeof address.sun_path - 1);
        }
        std::memcpy(address.sun_path, endpoint.path.c_str(), endpoint.path.size() + 1);
        struct stat existing {};
        if (::lstat(endpoint.path.c_str(), &existing) == 0) {
            if (!S_ISSOCK(existing.st_mode)) {
                return fail_as(ErrorKind::invalid_input,
                               "listening on {}: the file exists and is not a socket", name);
            }
            if (socket_in_use(address)) {
                return fail_as(ErrorKind::invalid_input,
                               "listening on {}: another server is listening there", name);
            }
            ::unlink(endpoint.path.c_str());
        }
        const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            return fail("listening on {}: socket: {}", name, std::strerror(errno));
        }
        if (::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
            return fail_closing(
                fd, Error{fmt::format("listening on {}: bind: {}", name, std::strerror(errno))});
        }
        if (::chmod(endpoint.path.c_str(), 0600) != 0 || ::listen(fd, 4) != 0) {
            const int saved = errno;
            ::unlink(endpoint.path.c_str());
            return fail_closing(
                fd, Error{fmt::format("listening on {}: {}", name, std::strerror(saved))});
        }
        return Listener(fd, name, endpoint.path);
    }
    const bool v6 = endpoint.host == "::1";
    if (endpoint.host != "127.0.0.1" && endpoint.host != "localhost" && !v6) {
        return fail_as(ErrorKind::invalid_input,
                       "listening on {}: only the loopback interface (127.0.0.1, ::1, localhost) "
                       "or a Unix socket: the server reads and writes all guest memory",
                       name);
    }
    const int fd = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return fail("listening on {}: socket: {}", name, std::strerror(errno));
    }
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_storage storage{};
    socklen_t length = 0;
    if (v6) {
        auto* in6 = reinterpret_cast<sockaddr_in6*>(&storage);
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(endpoint.port);
        in6->sin6_addr = in6addr_loopback;
        length = sizeof *in6;
    } else {
        auto* in4 = reinterpret_cast<sockaddr_in*>(&storage);
        in4->sin_family = AF_INET;
        in4->sin_port = htons(endpoint.port);
        in4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        length = sizeof *in4;
    }
    if (::bind(fd, reinterpret_cast<const sockaddr*>(&storage), length) != 0 ||
        ::listen(fd, 4) != 0) {
        return fail_closing(fd,
                            Error{fmt::format("listening on {}: {}", name, std::strerror(errno))});
    }
    length = sizeof storage;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &length);
    const std::uint16_t port = ntohs(v6 ? reinterpret_cast<sockaddr_in6*>(&storage)->sin6_port
                                        : reinterpret_cast<sockaddr_in*>(&storage)->sin_port);
    return Listener(fd, fmt::format("{}:{}", v6 ? "[::1]" : "127.0.0.1", port), "");
}

Listener::Listener(Listener&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), name_(std::move(other.name_)),
      path_(std::exchange(other.path_, {})) {}

Listener::~Listener() {
    if (fd_ >= 0) {
        ::close(fd_);
    }
    if (!path_.empty()) {
        ::unlink(path_.c_str());
    }
}

Result<std::optional<int>> Listener::accept(std::chrono::milliseconds wait) {
    pollfd ready{fd_, POLLIN, 0};
    const int n = ::poll(&ready, 1, static_cast<int>(wait.count()));
    if (n < 0 && errno != EINTR) {
        return fail("waiting for a debugger on {}: {}", name_, std::strerror(errno));
    }
    if (n <= 0) {
        return std::optional<int>{};
    }
    const int fd = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
        if (errno == EINTR || errno == EAGAIN || errno == ECONNABORTED) {
            return std::optional<int>{};
        }
        return fail("accepting a debugger on {}: {}", name_, std::strerror(errno));
    }
    if (path_.empty()) {
        int one = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    return std::optional<int>{fd};
}

} // namespace kdive::rsp
