// Stream sockets to a gdbstub: non-blocking connect bounded by a timeout, poll() before reads.
#include "rsp/socket_transport.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

namespace kdive::rsp {

namespace {

// Waits for a non-blocking connect to finish, then reports its outcome.
Result<> finish_connect(int fd, const std::string& name, std::chrono::milliseconds timeout) {
    pollfd pfd{fd, POLLOUT, 0};
    int ready;
    do {
        ready = ::poll(&pfd, 1, static_cast<int>(timeout.count()));
    } while (ready < 0 && errno == EINTR);
    if (ready == 0)
        return fail_as(ErrorKind::transport, "connecting to {}: timed out after {} ms", name,
                       timeout.count());
    if (ready < 0)
        return fail_as(ErrorKind::transport, "connecting to {}: {}", name, std::strerror(errno));
    int error = 0;
    socklen_t length = sizeof error;
    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length);
    if (error != 0)
        return fail_as(ErrorKind::transport, "connecting to {}: {}", name, std::strerror(error));
    return {};
}

Result<int> connect_address(const sockaddr* address, socklen_t length, int family,
                            const std::string& name, std::chrono::milliseconds timeout) {
    int fd = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return fail_as(ErrorKind::transport, "connecting to {}: socket: {}", name,
                       std::strerror(errno));
    if (::connect(fd, address, length) < 0 && errno != EINPROGRESS && errno != EAGAIN) {
        int error = errno;
        ::close(fd);
        return fail_as(ErrorKind::transport, "connecting to {}: {}", name, std::strerror(error));
    }
    if (auto done = finish_connect(fd, name, timeout); !done) {
        ::close(fd);
        return std::unexpected(done.error());
    }
    // Blocking again: reads are bounded by poll(), writes are small and the stub drains them.
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    if (family != AF_UNIX) {
        // Packets are tiny and every one waits for an answer: Nagle would add 40 ms stalls.
        int one = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    return fd;
}

} // namespace

Result<std::unique_ptr<SocketTransport>>
SocketTransport::connect(const Endpoint& endpoint, std::chrono::milliseconds timeout) {
    std::string name = endpoint.to_string();
    if (endpoint.kind == Endpoint::Kind::unix_socket) {
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        if (endpoint.path.size() >= sizeof address.sun_path)
            return fail_as(ErrorKind::invalid_input,
                           "connecting to {}: socket path longer than {} bytes", name,
                           sizeof address.sun_path - 1);
        std::memcpy(address.sun_path, endpoint.path.c_str(), endpoint.path.size() + 1);
        auto fd = connect_address(reinterpret_cast<const sockaddr*>(&address), sizeof address,
                                  AF_UNIX, name, timeout);
        if (!fd)
            return std::unexpected(fd.error());
        return std::make_unique<SocketTransport>(*fd, name);
    }
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    std::string port = std::to_string(endpoint.port);
    if (int rc = ::getaddrinfo(endpoint.host.c_str(), port.c_str(), &hints, &found); rc != 0)
        return fail_as(ErrorKind::transport, "connecting to {}: {}", name, ::gai_strerror(rc));
    Result<int> fd = fail_as(ErrorKind::transport, "connecting to {}: no address", name);
    for (addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
        fd = connect_address(ai->ai_addr, ai->ai_addrlen, ai->ai_family, name, timeout);
        if (fd)
            break;
    }
    ::freeaddrinfo(found);
    if (!fd)
        return std::unexpected(fd.error());
    return std::make_unique<SocketTransport>(*fd, name);
}

SocketTransport::SocketTransport(int fd, std::string name) : fd_(fd), name_(std::move(name)) {}

SocketTransport::~SocketTransport() {
    if (fd_ >= 0)
        ::close(fd_);
}

Result<> SocketTransport::write_all(std::string_view bytes) {
    while (!bytes.empty()) {
        ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return fail_as(ErrorKind::transport, "writing to {}: {}", name_, std::strerror(errno));
        }
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return {};
}

Result<std::size_t> SocketTransport::read_some(std::span<char> buffer,
                                               std::chrono::milliseconds timeout) {
    // A receive timeout on the socket instead of poll() before every recv(): one system call
    // per read on the hot path. It only changes when the caller's timeout does.
    if (timeout != receive_timeout_) {
        auto ms = std::max<long long>(timeout.count(), 1); // zero would mean "wait forever"
        timeval tv{static_cast<time_t>(ms / 1000), static_cast<suseconds_t>(ms % 1000 * 1000)};
        if (::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0)
            return fail_as(ErrorKind::transport, "reading from {}: setting a timeout: {}", name_,
                           std::strerror(errno));
        receive_timeout_ = timeout;
    }
    ssize_t n = ::recv(fd_, buffer.data(), buffer.size(), 0);
    if (n < 0) {
        // Timed out, or a signal (Ctrl-C in the REPL) ended the wait: the caller decides.
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
            return 0;
        return fail_as(ErrorKind::transport, "reading from {}: {}", name_, std::strerror(errno));
    }
    if (n == 0)
        return fail_as(ErrorKind::transport, "{} closed the connection", name_);
    return static_cast<std::size_t>(n);
}

} // namespace kdive::rsp
