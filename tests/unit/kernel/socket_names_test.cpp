// UNIX socket names as /proc/net/unix prints them, and the names of socket numbers.
#include "kernel/socket_names.hpp"

#include <gtest/gtest.h>

namespace kdive::kernel {
namespace {

using namespace std::string_view_literals;

TEST(SocketNames, UnixPathsAsProcNetUnixPrintsThem) {
    // A path name's length counts its terminating NUL.
    EXPECT_EQ(unix_path_text("/dev/log\0"sv), "/dev/log");
    // An abstract name starts with NUL; NULs inside it print as '@' too.
    EXPECT_EQ(unix_path_text("\0kdive\0x"sv), "@kdive@x");
    EXPECT_EQ(unix_path_text("\0"sv), "@");
    EXPECT_EQ(unix_path_text(""), "");
}

TEST(SocketNames, NumbersAndAddresses) {
    EXPECT_EQ(tcp_state_name(tcp_listen), "LISTEN");
    EXPECT_EQ(tcp_state_name(1), "ESTABLISHED");
    EXPECT_EQ(tcp_state_name(200), "");
    EXPECT_EQ(socket_family_name(af_inet6), "INET6");
    EXPECT_EQ(socket_type_name(5), "SEQPACKET");
    std::array<std::uint8_t, 16> loopback6{};
    loopback6[15] = 1;
    EXPECT_EQ(inet_endpoint_text(af_inet6, loopback6, 22), "[::1]:22");
    EXPECT_EQ(inet_endpoint_text(af_inet, {192, 168, 0, 1}, 80), "192.168.0.1:80");
    EXPECT_EQ(inet_address_text(af_unix, loopback6), "");
}

} // namespace
} // namespace kdive::kernel
