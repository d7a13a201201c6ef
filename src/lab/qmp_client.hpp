// A QEMU Machine Protocol client over the session's Unix socket.
#pragma once

#include "support/error.hpp"

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <sys/types.h>

namespace kdive::lab {

class QmpClient {
public:
    // Connects, reads the greeting and negotiates capabilities.
    static Result<QmpClient> connect(const std::filesystem::path& socket,
                                     std::chrono::milliseconds timeout);
    QmpClient(QmpClient&& other) noexcept;
    QmpClient& operator=(QmpClient&&) = delete;
    QmpClient(const QmpClient&) = delete;
    QmpClient& operator=(const QmpClient&) = delete;
    ~QmpClient();

    // The QEMU process at the other end of the socket (SO_PEERCRED).
    Result<pid_t> peer_pid() const;
    // Runs a command and returns its "return" member; QMP errors name the command.
    Result<nlohmann::json> execute(const std::string& command,
                                   const nlohmann::json& arguments = nullptr);

private:
    QmpClient(int fd, std::filesystem::path socket, std::chrono::milliseconds timeout)
        : fd_(fd), socket_(std::move(socket)), timeout_(timeout) {}
    Result<nlohmann::json> read_message();
    int fd_ = -1;
    std::filesystem::path socket_;
    std::chrono::milliseconds timeout_;
    std::string buffer_;
};

} // namespace kdive::lab
