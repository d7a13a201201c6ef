// Where `kdive serve` listens: a Unix socket only its owner can open, the loopback interface
// only, and no file clobbered.
#include "rsp/listener.hpp"
#include "temp_dir.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <fstream>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

namespace kdive::rsp {
namespace {

TEST(Listener, UnixSocketIsTheOwnersAndGoesAwayWithTheServer) {
    testing::TempDir dir("listener");
    const auto path = dir / "gdbserver.sock";
    {
        auto listener = Listener::open(*Endpoint::parse("unix:" + path.string()));
        ASSERT_TRUE(listener) << listener.error().message;
        struct stat info {};
        ASSERT_EQ(::stat(path.c_str(), &info), 0);
        EXPECT_TRUE(S_ISSOCK(info.st_mode));
        EXPECT_EQ(info.st_mode & 0777, 0600u);
        // A debugger connects and is accepted; nothing else waits.
        const int client = ::socket(AF_UNIX, SOCK_STREAM, 0);
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        std::snprintf(address.sun_path, sizeof address.sun_path, "%s", path.c_str());
        ASSERT_EQ(::connect(client, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
        auto accepted = listener->accept(std::chrono::milliseconds(1000));
        ASSERT_TRUE(accepted && *accepted);
        ::close(**accepted);
        ::close(client);
        auto none = listener->accept(std::chrono::milliseconds(10));
        ASSERT_TRUE(none);
        EXPECT_FALSE(*none);
        // A second server on the same path is refused while the first listens.
        auto second = Listener::open(*Endpoint::parse("unix:" + path.string()));
        ASSERT_FALSE(second);
        EXPECT_NE(second.error().message.find("another server"), std::string::npos);
    }
    EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(Listener, RefusesAllInterfacesAndOtherFiles) {
    auto everywhere = Listener::open(*Endpoint::parse("0.0.0.0:1234"));
    ASSERT_FALSE(everywhere);
    EXPECT_NE(everywhere.error().message.find("loopback"), std::string::npos);
    testing::TempDir dir("listener");
    const auto file = dir / "notes.txt";
    std::ofstream(file) << "keep me";
    auto clobber = Listener::open(*Endpoint::parse("unix:" + file.string()));
    ASSERT_FALSE(clobber);
    EXPECT_NE(clobber.error().message.find("not a socket"), std::string::npos);
    EXPECT_TRUE(std::filesystem::exists(file));
}

TEST(Listener, LoopbackTcpAcceptsADebugger) {
    // A port nothing uses now: the kernel's choice for a socket bound to port 0.
    const int probe = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    ASSERT_EQ(::bind(probe, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    ASSERT_EQ(::getsockname(probe, reinterpret_cast<sockaddr*>(&address), &length), 0);
    ::close(probe);
    const std::string where = fmt::format("127.0.0.1:{}", ntohs(address.sin_port));
    auto listener = Listener::open(*Endpoint::parse(where));
    ASSERT_TRUE(listener) << listener.error().message;
    EXPECT_EQ(listener->name(), where);
    const int client = ::socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_EQ(::connect(client, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    auto accepted = listener->accept(std::chrono::milliseconds(1000));
    ASSERT_TRUE(accepted && *accepted);
    ::close(**accepted);
    ::close(client);
}

} // namespace
} // namespace kdive::rsp
