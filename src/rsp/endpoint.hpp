// Where a gdbstub listens: "HOST:PORT", "tcp:HOST:PORT" or "unix:PATH".
#pragma once

#include "support/error.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace kdive::rsp {

struct Endpoint {
    enum class Kind { tcp, unix_socket };
    Kind kind = Kind::tcp;
    std::string host; // tcp only
    std::uint16_t port = 0;
    std::string path; // unix only

    static Result<Endpoint> parse(std::string_view text);
    std::string to_string() const;
};

} // namespace kdive::rsp
