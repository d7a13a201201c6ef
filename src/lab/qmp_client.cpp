// QMP: newline-delimited JSON; events are skipped while waiting for a reply.
#include "lab/qmp_client.hpp"

#include <cerrno>
#include <cstring>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace kdive::lab {

Result<QmpClient> QmpClient::connect(const std::filesystem::path& socket,
                                     std::chrono::milliseconds timeout) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (socket.string().size() >= sizeof(addr.sun_path)) {
        return fail("QMP socket path too long: {}", socket.string());
    }
    std::strncpy(addr.sun_path, socket.c_str(), sizeof(addr.sun_path) - 1);
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return fail("QMP: socket: {}", std::strerror(errno));
    }
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
        int err = errno;
        close(fd);
        return fail("cannot connect to QMP socket {}: {}", socket.string(), std::strerror(err));
    }
    QmpClient client(fd, socket, timeout);
    auto greeting = client.read_message();
    if (!greeting) {
        return std::unexpected(greeting.error());
    }
    if (!greeting->contains("QMP")) {
        return fail("{}: unexpected QMP greeting {}", socket.string(), greeting->dump());
    }
    if (auto r = client.execute("qmp_capabilities"); !r) {
        return std::unexpected(r.error());
    }
    return client;
}

Result<pid_t> QmpClient::peer_pid() const {
    ucred credentials{};
    socklen_t length = sizeof credentials;
    if (::getsockopt(fd_, SOL_SOCKET, SO_PEERCRED, &credentials, &length) != 0 ||
        credentials.pid <= 0) {
        return fail("{}: cannot tell the QEMU process behind it: {}", socket_.string(),
                    std::strerror(errno));
    }
    return credentials.pid;
}

QmpClient::QmpClient(QmpClient&& other) noexcept
    : fd_(other.fd_), socket_(std::move(other.socket_)), timeout_(other.timeout_),
      buffer_(std::move(other.buffer_)) {
    other.fd_ = -1;
}

QmpClient::~QmpClient() {
    if (fd_ >= 0) {
        close(fd_);
    }
}

Result<nlohmann::json> QmpClient::read_message() {
    auto deadline = std::chrono::steady_clock::now() + timeout_;
    while (true) {
        if (auto nl = buffer_.find('\n'); nl != std::string::npos) {
            std::string line = buffer_.substr(0, nl);
            buffer_.erase(0, nl + 1);
            auto json = nlohmann::json::parse(line, nullptr, false);
            if (json.is_discarded()) {
                return fail("{}: malformed QMP message: {}", socket_.string(), line);
            }
            return json;
        }
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            return fail("{}: no QMP reply within {} ms", socket_.string(), timeout_.count());
        }
        pollfd pfd{fd_, POLLIN, 0};
        int n = poll(&pfd, 1, static_cast<int>(left.count()));
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            continue;
        }
        char chunk[4096];
        ssize_t got = read(fd_, chunk, sizeof(chunk));
        if (got < 0 && errno == EINTR) {
            continue;
        }
        if (got <= 0) {
            return fail("{}: QEMU closed the QMP connection", socket_.string());
        }
        buffer_.append(chunk, static_cast<size_t>(got));
    }
}

Result<nlohmann::json> QmpClient::execute(const std::string& command,
                                          const nlohmann::json& arguments) {
    nlohmann::json request = {{"execute", command}};
    if (!arguments.is_null()) {
        request["arguments"] = arguments;
    }
    std::string text = request.dump() + "\n";
    if (::send(fd_, text.data(), text.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(text.size())) {
        return fail("{}: cannot send QMP command {}: {}", socket_.string(), command,
                    std::strerror(errno));
    }
    while (true) {
        auto reply = read_message();
        if (!reply) {
            return wrap(reply.error(), "QMP " + command);
        }
        if (reply->contains("event")) {
            continue;
        }
        if (auto it = reply->find("error"); it != reply->end()) {
            return fail("QMP {} failed: {}", command, it->value("desc", it->dump()));
        }
        if (auto it = reply->find("return"); it != reply->end()) {
            return *it;
        }
    }
}

} // namespace kdive::lab
