// Byte stream to a gdbstub: the seam that lets tests put a fake stub behind the connection.
#pragma once

#include "support/error.hpp"

#include <chrono>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>

namespace kdive::rsp {

class Transport {
public:
    virtual ~Transport() = default;
    virtual Result<> write_all(std::string_view bytes) = 0;
    // Reads what is available, waiting at most `timeout`; 0 bytes means the wait timed out.
    // The peer closing the stream is an error naming the endpoint.
    virtual Result<std::size_t> read_some(std::span<char> buffer,
                                          std::chrono::milliseconds timeout) = 0;
    // "unix:/path" or "127.0.0.1:1234", for error messages.
    virtual const std::string& name() const = 0;
};

} // namespace kdive::rsp
