// net's socket formatters (-s, --tcp, --unix) with hostile UNIX socket paths and task names: the
// JSON parses strictly and gives the bytes back; the text holds no raw control byte and keeps one
// line per row.
#include "cli/socket_output.hpp"
#include "hostile_strings.hpp"

namespace kdive::cli {
namespace {

std::vector<kernel::SocketInfo> hostile_unix_sockets() {
    std::vector<kernel::SocketInfo> out;
    for (const auto& name : hostile_names()) {
        kernel::SocketInfo sock;
        sock.sock = 0xffff888004e5c400ull + out.size() * 0x400;
        sock.socket = 0xffff888004e13400ull;
        sock.family = 1;
        sock.type = 2;
        sock.state = out.size() % 2 == 0 ? 10 : 1;
        sock.inode = 200 + out.size();
        sock.path = name;
        out.push_back(sock);
    }
    kernel::SocketInfo unbound;
    unbound.family = 1;
    unbound.type = 1;
    unbound.state = 7;
    out.push_back(unbound);
    return out;
}

TEST(SocketOutput, UnixPathsAreEscaped) {
    const auto sockets = hostile_unix_sockets();
    const Json rows = parse_strictly(unix_sockets_json(sockets));
    ASSERT_EQ(rows.size(), sockets.size());
    for (std::size_t i = 0; i + 1 < sockets.size(); ++i) {
        EXPECT_EQ(bytes_of(rows[i]["path"]), *sockets[i].path);
        EXPECT_EQ(rows[i]["flags"], i % 2 == 0 ? 0x10000 : 0) << rows[i];
        EXPECT_EQ(rows[i]["st"], i % 2 == 0 ? 1 : 3) << rows[i]; // SS_UNCONNECTED, SS_CONNECTED
    }
    EXPECT_TRUE(rows.back()["path"].is_null());
    EXPECT_EQ(rows.back()["st"], 4); // no socket, not established: SS_DISCONNECTING
    const std::string text = unix_sockets_text(sockets);
    EXPECT_FALSE(has_raw_control(text)) << text;
    EXPECT_EQ(lines(text), sockets.size() + 1);
}

TEST(SocketOutput, TaskSocketsAndTcpRows) {
    std::vector<kernel::TaskSocket> task_sockets;
    for (const auto& sock : hostile_unix_sockets()) {
        kernel::TaskSocket entry;
        entry.fd = static_cast<unsigned>(task_sockets.size());
        entry.socket = 0xffff888004e13400ull;
        entry.inode_number = sock.inode;
        entry.sock = sock;
        task_sockets.push_back(entry);
    }
    kernel::TaskSocket released;
    released.fd = 99;
    released.socket_type = 1;
    task_sockets.push_back(released);
    kernel::TaskInfo task;
    task.task = 0xffff888003a8c000ull;
    task.pid = 42;
    task.comm = hostile_names()[1];
    const Json rows = parse_strictly(task_sockets_json(task_sockets));
    ASSERT_EQ(rows.size(), task_sockets.size());
    EXPECT_EQ(bytes_of(rows[1]["path"]), *task_sockets[1].sock->path);
    EXPECT_TRUE(rows.back()["sock"].is_null());
    const std::string text = task_sockets_text(task, task_sockets);
    EXPECT_FALSE(has_raw_control(text)) << text;
    EXPECT_EQ(lines(text), task_sockets.size() + 2);

    kernel::SocketInfo v4;
    v4.family = 2;
    v4.type = 1;
    v4.state = 1;
    v4.local_address = {127, 0, 0, 1};
    v4.remote_address = {10, 11, 12, 2};
    v4.local_port = 4242;
    v4.remote_port = 51000;
    kernel::SocketInfo v6 = v4;
    v6.family = 10;
    v6.state = 10;
    v6.local_address = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 1};
    v6.remote_address = {};
    const Json tcp = parse_strictly(tcp_sockets_json({v4, v6}));
    EXPECT_EQ(tcp[0]["local_address"], "127.0.0.1");
    EXPECT_EQ(tcp[0]["remote_address"], "10.11.12.2");
    EXPECT_EQ(tcp[0]["state_name"], "ESTABLISHED");
    EXPECT_EQ(tcp[1]["local_address"], "::ffff:127.0.0.1");
    EXPECT_EQ(tcp[1]["remote_address"], "::");
    EXPECT_EQ(tcp[1]["state"], 10);
    EXPECT_EQ(tcp[1]["sl"], 1);
    const std::string tcp_text = tcp_sockets_text({v4, v6});
    EXPECT_NE(tcp_text.find("127.0.0.1:4242"), std::string::npos) << tcp_text;
    EXPECT_NE(tcp_text.find("[::ffff:127.0.0.1]:4242"), std::string::npos) << tcp_text;
    EXPECT_NE(tcp_text.find(" 0A LISTEN"), std::string::npos) << tcp_text;
}

} // namespace
} // namespace kdive::cli
