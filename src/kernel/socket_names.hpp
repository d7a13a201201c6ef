// Names and text for socket numbers as the kernel's /proc files and ss spell them: address
// families, socket types, TCP states, inet endpoints and UNIX socket paths.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace kdive::kernel {

// The ABI numbers these files use (they never change: user space compiles them in).
inline constexpr unsigned af_unix = 1;
inline constexpr unsigned af_inet = 2;
inline constexpr unsigned af_inet6 = 10;
inline constexpr unsigned tcp_established = 1;
inline constexpr unsigned tcp_syn_recv = 3;
inline constexpr unsigned tcp_time_wait = 6;
inline constexpr unsigned tcp_listen = 10;
inline constexpr unsigned tcp_new_syn_recv = 12;

// "INET", "INET6", "UNIX", "NETLINK"...; "" for a family not named here.
std::string_view socket_family_name(unsigned family);
// "STREAM", "DGRAM", "RAW", "SEQPACKET"...; "" when unknown.
std::string_view socket_type_name(unsigned type);
// "ESTABLISHED" .. "LISTEN" as include/net/tcp_states.h names them; "" when unknown.
std::string_view tcp_state_name(unsigned state);

// An inet address as it lies in memory (network order; the first 4 bytes for AF_INET) in
// inet_ntop's form: "127.0.0.1", "::1", "::ffff:10.0.0.1". "" for another family.
std::string inet_address_text(unsigned family, const std::array<std::uint8_t, 16>& address);
// "127.0.0.1:4242", "[::1]:22".
std::string inet_endpoint_text(unsigned family, const std::array<std::uint8_t, 16>& address,
                               unsigned port);

// A bound UNIX socket's name as /proc/net/unix prints it, from sun_path's bytes (the address
// length less the family): an abstract name (leading NUL) starts with '@', a path name loses
// its terminating NUL, and any other NUL shows as '@'.
std::string unix_path_text(std::string_view sun_path);

} // namespace kdive::kernel
