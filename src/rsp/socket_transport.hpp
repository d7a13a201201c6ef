// Transport over a TCP or Unix stream socket, with a connect timeout and timed reads.
#pragma once

#include "rsp/endpoint.hpp"
#include "rsp/transport.hpp"

#include <chrono>
#include <memory>

namespace kdive::rsp {

class SocketTransport final : public Transport {
public:
    static Result<std::unique_ptr<SocketTransport>> connect(const Endpoint& endpoint,
                                                            std::chrono::milliseconds timeout);
    // Takes ownership of an already connected socket (tests use a socketpair).
    SocketTransport(int fd, std::string name);
    ~SocketTransport() override;
    SocketTransport(const SocketTransport&) = delete;
    SocketTransport& operator=(const SocketTransport&) = delete;

    Result<> write_all(std::string_view bytes) override;
    Result<std::size_t> read_some(std::span<char> buffer,
                                  std::chrono::milliseconds timeout) override;
    const std::string& name() const override { return name_; }

private:
    int fd_;
    std::string name_;
    std::chrono::milliseconds receive_timeout_{-1}; // none set yet
};

} // namespace kdive::rsp
