// An in-process fake gdbstub over a socketpair, for faults and modes a real QEMU cannot be made
// to show on demand.
#pragma once

#include "rsp/packet_codec.hpp"
#include "rsp/socket_transport.hpp"

#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

namespace kdive::rsp {

// Runs `script` on the far end of a socketpair; the near end becomes a SocketTransport.
class FakeStub {
public:
    explicit FakeStub(std::function<void(FakeStub&)> script) {
        int fds[2];
        if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
            throw std::runtime_error("socketpair");
        fd_ = fds[1];
        near_ = fds[0];
        thread_ = std::thread([this, script = std::move(script)] {
            script(*this);
            close_stub();
        });
    }
    ~FakeStub() { join(); }
    void join() {
        if (thread_.joinable())
            thread_.join();
        close_stub();
    }
    std::unique_ptr<Transport> transport() {
        return std::make_unique<SocketTransport>(near_, "fake-stub");
    }
    // Reads one complete frame ($...#xx), skipping acks; empty once the client has gone.
    std::string read_frame() {
        std::string frame;
        char c;
        while (::read(fd_, &c, 1) == 1) {
            if (frame.empty() && c != '$')
                continue;
            frame.push_back(c);
            if (frame.size() >= 4 && frame[frame.size() - 3] == '#')
                return frame;
        }
        return frame;
    }
    // True when a request frame is already waiting (acks do not count).
    bool pending_frame() {
        char buffer[256];
        auto n = ::recv(fd_, buffer, sizeof buffer, MSG_PEEK | MSG_DONTWAIT);
        return n > 0 && std::string_view(buffer, static_cast<std::size_t>(n)).find('$') !=
                            std::string_view::npos;
    }
    char read_byte() {
        char c = 0;
        return ::read(fd_, &c, 1) == 1 ? c : '\0';
    }
    // MSG_NOSIGNAL: the client may already have hung up, which must not kill the test.
    void send(std::string_view bytes) {
        (void)!::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    }
    void close_stub() {
        if (fd_ >= 0)
            ::close(fd_);
        fd_ = -1;
    }

private:
    int fd_ = -1;
    int near_ = -1;
    std::thread thread_;
};

// A whole frame ("$payload#cs") as a stub sends it.
inline std::string frame(std::string_view payload) {
    return encode_packet(payload);
}

// The payload of a frame read by FakeStub::read_frame ("$m10,4#xx" -> "m10,4").
inline std::string payload_of(const std::string& frame) {
    return frame.size() >= 4 ? frame.substr(1, frame.size() - 4) : std::string{};
}

} // namespace kdive::rsp
