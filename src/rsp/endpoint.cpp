// Parsing of gdbstub endpoint strings.
#include "rsp/endpoint.hpp"

#include <charconv>

namespace kdive::rsp {

Result<Endpoint> Endpoint::parse(std::string_view text) {
    Endpoint endpoint;
    if (text.starts_with("unix:")) {
        endpoint.kind = Kind::unix_socket;
        endpoint.path = std::string(text.substr(5));
        if (endpoint.path.empty())
            return fail_as(ErrorKind::invalid_input, "endpoint '{}': empty socket path", text);
        return endpoint;
    }
    std::string_view rest = text.starts_with("tcp:") ? text.substr(4) : text;
    auto colon = rest.rfind(':');
    if (colon == std::string_view::npos)
        return fail_as(ErrorKind::invalid_input, "endpoint '{}': expected HOST:PORT or unix:PATH",
                       text);
    endpoint.host = std::string(rest.substr(0, colon));
    if (endpoint.host.empty())
        endpoint.host = "127.0.0.1";
    auto port_text = rest.substr(colon + 1);
    unsigned port = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc{} || end != port_text.data() + port_text.size() || port == 0 ||
        port > 65535)
        return fail_as(ErrorKind::invalid_input, "endpoint '{}': bad port '{}'", text, port_text);
    endpoint.port = static_cast<std::uint16_t>(port);
    return endpoint;
}

std::string Endpoint::to_string() const {
    if (kind == Kind::unix_socket)
        return "unix:" + path;
    return host + ":" + std::to_string(port);
}

} // namespace kdive::rsp
