// Where a GDB server waits for its debugger: a Unix socket only its owner may open (mode 0600),
// or a TCP port on the loopback interface, never on all interfaces.
#pragma once

#include "rsp/endpoint.hpp"
#include "support/error.hpp"

#include <chrono>
#include <optional>
#include <string>

namespace kdive::rsp {

class Listener {
public:
    // Refuses TCP hosts other than 127.0.0.1, ::1 and localhost, and an existing file at a Unix
    // path unless it is a socket nobody listens on (left by a server that was killed).
    static Result<Listener> open(const Endpoint& endpoint);
    Listener(Listener&& other) noexcept;
    Listener& operator=(Listener&&) = delete;
    Listener(const Listener&) = delete;
    Listener& operator=(const Listener&) = delete;
    // Closes the socket and removes the Unix socket file.
    ~Listener();

    // A connected socket, or nullopt when none arrives within `wait`.
    Result<std::optional<int>> accept(std::chrono::milliseconds wait);
    // "unix:/path" or "127.0.0.1:PORT".
    const std::string& name() const { return name_; }

private:
    Listener(int fd, std::string name, std::string path)
        : fd_(fd), name_(std::move(name)), path_(std::move(path)) {}
    int fd_ = -1;
    std::string name_;
    std::string path_; // the Unix socket file to remove
};

} // namespace kdive::rsp
