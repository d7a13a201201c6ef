// The numbers are the user-space ABI (linux/socket.h, linux/net.h, net/tcp_states.h), stable
// across versions, so a table here reads the same on every kernel; addresses go through the
// C library's inet_ntop so that they read as every other tool prints them.
#include "kernel/socket_names.hpp"

#include <arpa/inet.h>
#include <fmt/core.h>
#include <sys/socket.h>

namespace kdive::kernel {

std::string_view socket_family_name(unsigned family) {
    switch (family) {
    case af_unix:
        return "UNIX";
    case af_inet:
        return "INET";
    case af_inet6:
        return "INET6";
    case 16:
        return "NETLINK";
    case 17:
        return "PACKET";
    case 38:
        return "ALG";
    case 40:
        return "VSOCK";
    case 44:
        return "XDP";
    default:
        return "";
    }
}

std::string_view socket_type_name(unsigned type) {
    switch (type) {
    case 1:
        return "STREAM";
    case 2:
        return "DGRAM";
    case 3:
        return "RAW";
    case 4:
        return "RDM";
    case 5:
        return "SEQPACKET";
    case 6:
        return "DCCP";
    case 10:
        return "PACKET";
    default:
        return "";
    }
}

std::string_view tcp_state_name(unsigned state) {
    static constexpr std::array<std::string_view, 14> names{
        "",          "ESTABLISHED", "SYN_SENT",     "SYN_RECV",      "FIN_WAIT1",
        "FIN_WAIT2", "TIME_WAIT",   "CLOSE",        "CLOSE_WAIT",    "LAST_ACK",
        "LISTEN",    "CLOSING",     "NEW_SYN_RECV", "BOUND_INACTIVE"};
    return state < names.size() ? names[state] : "";
}

std::string inet_address_text(unsigned family, const std::array<std::uint8_t, 16>& address) {
    std::array<char, INET6_ADDRSTRLEN> text{};
    const int af = family == af_inet ? AF_INET : family == af_inet6 ? AF_INET6 : -1;
    if (af < 0 || inet_ntop(af, address.data(), text.data(), text.size()) == nullptr) {
        return "";
    }
    return text.data();
}

std::string inet_endpoint_text(unsigned family, const std::array<std::uint8_t, 16>& address,
                               unsigned port) {
    const std::string host = inet_address_text(family, address);
    return family == af_inet6 ? fmt::format("[{}]:{}", host, port)
                              : fmt::format("{}:{}", host, port);
}

std::string unix_path_text(std::string_view sun_path) {
    if (sun_path.empty()) {
        return "";
    }
    std::string_view name = sun_path;
    // unix_seq_show: a path name's length counts its NUL, which is not printed.
    if (name.front() != '\0') {
        name.remove_suffix(1);
    }
    std::string out(name);
    for (char& c : out) {
        if (c == '\0') {
            c = '@';
        }
    }
    return out;
}

} // namespace kdive::kernel
