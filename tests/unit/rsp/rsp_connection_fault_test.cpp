// Faults a real QEMU cannot be made to produce, played by an in-process fake stub over a
// socketpair: dropped connections, NAK storms, corrupt and silent replies.
#include "rsp/rsp_client.hpp"
#include "rsp/rsp_connection.hpp"
#include "rsp/socket_transport.hpp"

#include <fmt/format.h>
#include <functional>
#include <gtest/gtest.h>
#include <memory>
#include <string>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

namespace kdive::rsp {
namespace {

// Runs `script` on the far end of a socketpair; the near end becomes a SocketTransport.
class FakeStub {
public:
    explicit FakeStub(std::function<void(FakeStub&)> script) {
        int fds[2];
        if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
            throw std::runtime_error("socketpair");
        fd_ = fds[1];
        near_ = fds[0];
        thread_ = std::thread([this, script = std::move(script)] {
            script(*this);
            close_stub();
        });
    }
    ~FakeStub() { join(); }
    void join() {
        if (thread_.joinable())
            thread_.join();
        close_stub();
    }
    std::unique_ptr<Transport> transport() {
        return std::make_unique<SocketTransport>(near_, "fake-stub");
    }
    // Reads one complete frame ($...#xx), skipping acks; empty once the client has gone.
    std::string read_frame() {
        std::string frame;
        char c;
        while (::read(fd_, &c, 1) == 1) {
            if (frame.empty() && c != '$')
                continue;
            frame.push_back(c);
            if (frame.size() >= 4 && frame[frame.size() - 3] == '#')
                return frame;
        }
        return frame;
    }
    // True when a request frame is already waiting (acks do not count).
    bool pending_frame() {
        char buffer[256];
        auto n = ::recv(fd_, buffer, sizeof buffer, MSG_PEEK | MSG_DONTWAIT);
        return n > 0 && std::string_view(buffer, static_cast<std::size_t>(n)).find('$') !=
                            std::string_view::npos;
    }
    char read_byte() {
        char c = 0;
        return ::read(fd_, &c, 1) == 1 ? c : '\0';
    }
    // MSG_NOSIGNAL: the client may already have hung up, which must not kill the test.
    void send(std::string_view bytes) {
        (void)!::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    }
    void close_stub() {
        if (fd_ >= 0)
            ::close(fd_);
        fd_ = -1;
    }

private:
    int fd_ = -1;
    int near_ = -1;
    std::thread thread_;
};

ConnectionOptions quick() {
    ConnectionOptions options;
    options.reply_timeout = std::chrono::milliseconds(300);
    options.max_retransmits = 3;
    return options;
}

TEST(RspConnectionFaults, StubDiesMidReply) {
    FakeStub stub([](FakeStub& s) {
        s.read_frame();
        s.send("+$T05thread:0"); // then the stub goes away
    });
    RspConnection connection(stub.transport(), quick());
    auto reply = connection.request("?");
    ASSERT_FALSE(reply);
    EXPECT_NE(reply.error().message.find("closed the connection in the middle of a packet"),
              std::string::npos)
        << reply.error().message;
    // Every later call reports the lost connection at once instead of waiting.
    auto again = connection.request("g");
    ASSERT_FALSE(again);
    EXPECT_NE(again.error().message.find("closed the connection"), std::string::npos);
}

TEST(RspConnectionFaults, StubStallsMidReply) {
    FakeStub stub([](FakeStub& s) {
        s.read_frame();
        s.send("+$OK");
        s.read_frame(); // holds the socket open until the client gives up and closes
    });
    RspConnection connection(stub.transport(), quick());
    auto reply = connection.request("?");
    ASSERT_FALSE(reply);
    EXPECT_NE(reply.error().message.find("middle of a packet"), std::string::npos)
        << reply.error().message;
}

TEST(RspConnectionFaults, NakStormEndsInError) {
    FakeStub stub([](FakeStub& s) {
        for (int i = 0; i < 10; ++i) {
            if (s.read_frame().empty())
                return;
            s.send("-");
        }
    });
    RspConnection connection(stub.transport(), quick());
    auto sent = connection.send("qSupported");
    ASSERT_FALSE(sent);
    EXPECT_NE(sent.error().message.find("rejected 'qSupported' 3 times"), std::string::npos)
        << sent.error().message;
}

TEST(RspConnectionFaults, RetransmitsAfterOneNak) {
    FakeStub stub([](FakeStub& s) {
        s.read_frame();
        s.send("-");
        EXPECT_EQ(s.read_frame(), "$g#67");
        s.send("+$OK#9a");
    });
    RspConnection connection(stub.transport(), quick());
    auto reply = connection.request("g");
    ASSERT_TRUE(reply) << reply.error().message;
    EXPECT_EQ(*reply, "OK");
}

TEST(RspConnectionFaults, BadChecksumIsNakedAndResent) {
    FakeStub stub([](FakeStub& s) {
        s.read_frame();
        s.send("+$OK#00");
        EXPECT_EQ(s.read_byte(), '-');
        s.send("$OK#9a");
    });
    RspConnection connection(stub.transport(), quick());
    auto reply = connection.request("?");
    ASSERT_TRUE(reply) << reply.error().message;
    EXPECT_EQ(*reply, "OK");
}

TEST(RspConnectionFaults, EndlessCorruptRepliesEndInError) {
    FakeStub stub([](FakeStub& s) {
        s.read_frame();
        s.send("+");
        for (int i = 0; i < 10; ++i)
            s.send("$OK#00");
        s.read_frame(); // until the client hangs up
    });
    RspConnection connection(stub.transport(), quick());
    auto reply = connection.request("?");
    ASSERT_FALSE(reply);
    EXPECT_NE(reply.error().message.find("bad packets in a row"), std::string::npos)
        << reply.error().message;
}

TEST(RspConnectionFaults, GarbageBeforeReplyIsSkipped) {
    FakeStub stub([](FakeStub& s) {
        s.read_frame();
        s.send("+\r\n\xff junk %Stop:T05;#00 more$OK#9a");
    });
    RspConnection connection(stub.transport(), quick());
    auto reply = connection.request("?");
    ASSERT_TRUE(reply) << reply.error().message;
    EXPECT_EQ(*reply, "OK");
}

TEST(RspConnectionFaults, SilentStubTimesOut) {
    FakeStub stub([](FakeStub& s) {
        s.read_frame();
        s.send("+");
        s.read_frame(); // never answers; returns when the client closes
    });
    RspConnection connection(stub.transport(), quick());
    auto reply = connection.request("g");
    ASSERT_FALSE(reply);
    EXPECT_NE(reply.error().message.find("no reply"), std::string::npos) << reply.error().message;
}

TEST(RspConnectionFaults, NoAckTimesOut) {
    FakeStub stub([](FakeStub& s) { s.read_frame(); });
    RspConnection connection(stub.transport(), quick());
    auto sent = connection.send("g");
    ASSERT_FALSE(sent);
}

TEST(RspConnectionFaults, PacketBeforeAckIsUnsolicited) {
    // QEMU's stop reply on connect arrives ahead of the ack for our first request.
    FakeStub stub([](FakeStub& s) {
        s.send("$T02thread:01;#04");
        s.read_frame();
        s.send("+$PacketSize=1000#xx"); // wrong checksum digits: NAKed, then resent
        s.send("$PacketSize=1000;qXfer:features:read+#" +
               fmt::format("{:02x}", checksum("PacketSize=1000;qXfer:features:read+")));
        s.read_frame(); // until the client hangs up
    });
    RspConnection connection(stub.transport(), quick());
    auto reply = connection.request("qSupported");
    ASSERT_TRUE(reply) << reply.error().message;
    EXPECT_EQ(*reply, "PacketSize=1000;qXfer:features:read+");
    auto unsolicited = connection.take_unsolicited();
    ASSERT_EQ(unsolicited.size(), 1u);
    EXPECT_EQ(unsolicited[0], "T02thread:01;");
}

std::string frame(std::string_view payload) {
    return encode_packet(payload);
}

TEST(RspConnectionFaults, MonitorOutputThatIsNotHex) {
    FakeStub stub([](FakeStub& s) {
        s.read_frame();
        s.send("+" + frame("PacketSize=1000"));
        s.read_frame();
        s.send("+" + frame("O4f4b0a") + frame("OZZ"));
        s.read_frame();
    });
    auto client = RspClient::open(stub.transport(), ClientOptions{});
    ASSERT_TRUE(client) << client.error().message;
    auto output = (*client)->monitor("info status");
    ASSERT_FALSE(output);
    EXPECT_NE(output.error().message.find("monitor 'info status'"), std::string::npos)
        << output.error().message;
}

TEST(RspConnectionFaults, ShortMemoryReplyNamesAddress) {
    FakeStub stub([](FakeStub& s) {
        s.read_frame();
        s.send("+" + frame("PacketSize=1000"));
        s.read_frame();
        s.send("+" + frame("0011"));
        s.read_frame();
    });
    auto client = RspClient::open(stub.transport(), ClientOptions{});
    ASSERT_TRUE(client) << client.error().message;
    auto bytes = (*client)->read_memory(0xffffffff81000000u, 8);
    ASSERT_FALSE(bytes);
    EXPECT_NE(bytes.error().message.find("0xffffffff81000000"), std::string::npos)
        << bytes.error().message;
}

TEST(RspConnectionFaults, LearnsASmallerReadLimit) {
    // A stub that rejects reads above 1 KiB with E22: the client halves its reads and goes on.
    std::vector<std::string> requests;
    FakeStub stub([&requests](FakeStub& s) {
        s.read_frame();
        s.send("+" + frame("PacketSize=1000"));
        for (;;) {
            std::string request = s.read_frame();
            if (request.empty())
                return;
            requests.push_back(request.substr(1, request.size() - 4));
            auto comma = request.find(',');
            std::size_t length = std::stoul(request.substr(comma + 1), nullptr, 16);
            s.send("+" + frame(length > 1024 ? "E22" : std::string(length * 2, '7')));
        }
    });
    auto client = RspClient::open(stub.transport(), ClientOptions{});
    ASSERT_TRUE(client) << client.error().message;
    auto bytes = (*client)->read_memory(0x10000, 4096);
    ASSERT_TRUE(bytes) << bytes.error().message;
    EXPECT_EQ(*bytes, std::string(4096, '\x77'));
    client->reset(); // hang up so the stub's loop ends before `requests` is read
    stub.join();
    EXPECT_EQ(requests.front(), "m10000,800");
    EXPECT_EQ(requests.back(), "m10c00,400");
    EXPECT_EQ(requests.size(), 5u); // one refused 2 KiB read, then four 1 KiB pieces
}

// The `m` payload of a frame: "$m10,4#xx" -> {0x10, 4}.
std::pair<std::uint64_t, std::size_t> memory_request(const std::string& frame) {
    auto comma = frame.find(',');
    return {std::stoull(frame.substr(2, comma - 2), nullptr, 16),
            std::stoul(frame.substr(comma + 1), nullptr, 16)};
}

// Bytes of fake memory: the low byte of each address.
std::string memory_reply(const std::string& frame) {
    auto [address, length] = memory_request(frame);
    std::string hex;
    for (std::size_t i = 0; i < length; ++i)
        hex += fmt::format("{:02x}", (address + i) & 0xff);
    return hex;
}

std::vector<RspClient::MemoryRange> ranges_into(std::vector<std::string>& buffers) {
    std::vector<RspClient::MemoryRange> ranges;
    for (std::size_t i = 0; i < buffers.size(); ++i)
        ranges.push_back({0x1000 * (i + 1) + 0x10, std::span(buffers[i])});
    return ranges;
}

void expect_fake_memory(const std::vector<std::string>& buffers) {
    for (std::size_t i = 0; i < buffers.size(); ++i)
        for (char c : buffers[i].substr(0, 1))
            EXPECT_EQ(static_cast<unsigned char>(c), 0x10) << "range " << i;
}

TEST(RspPipelining, QemuGetsEveryReadBeforeAnsweringAny) {
    // This stub reads all three requests before it answers: a client that waited for each
    // reply would time out.
    FakeStub stub([](FakeStub& s) {
        s.read_frame();
        s.send("+" + frame("PacketSize=1000"));
        s.read_frame();
        s.send("+" + frame("sstepbits;sstep;PhyMemMode"));
        std::vector<std::string> requests;
        for (int i = 0; i < 3; ++i)
            requests.push_back(s.read_frame());
        for (const auto& request : requests)
            s.send("+" + frame(memory_reply(request)));
        s.read_frame();
    });
    ClientOptions options;
    options.connection = quick();
    auto client = RspClient::open(stub.transport(), options);
    ASSERT_TRUE(client) << client.error().message;
    std::vector<std::string> buffers{std::string(8, '\0'), std::string(100, '\0'),
                                     std::string(3, '\0')};
    auto ok = (*client)->read_memory_ranges(ranges_into(buffers));
    ASSERT_TRUE(ok) << ok.error().message;
    expect_fake_memory(buffers);
    EXPECT_EQ(static_cast<unsigned char>(buffers[1][99]), (0x2010 + 99) & 0xff);
}

TEST(RspPipelining, NakInABatchFallsBackToOneAtATime) {
    FakeStub stub([](FakeStub& s) {
        s.read_frame();
        s.send("+" + frame("PacketSize=1000"));
        s.read_frame();
        s.send("+" + frame("sstepbits;sstep;PhyMemMode"));
        auto first = s.read_frame();
        auto second = s.read_frame();
        s.send("-+" + frame(memory_reply(second)));
        for (;;) {
            auto request = s.read_frame();
            if (request.empty())
                return;
            s.send("+" + frame(memory_reply(request)));
        }
    });
    ClientOptions options;
    options.connection = quick();
    auto client = RspClient::open(stub.transport(), options);
    ASSERT_TRUE(client) << client.error().message;
    std::vector<std::string> buffers{std::string(8, '\0'), std::string(8, '\0')};
    auto ok = (*client)->read_memory_ranges(ranges_into(buffers));
    ASSERT_TRUE(ok) << ok.error().message;
    expect_fake_memory(buffers);
}

TEST(RspPipelining, OtherStubsAreAskedOneAtATime) {
    // No qqemu.Supported: the stub may wait for acks, so nothing is sent ahead of a reply.
    bool overlapped = false;
    FakeStub stub([&overlapped](FakeStub& s) {
        s.read_frame();
        s.send("+" + frame("PacketSize=1000"));
        s.read_frame();
        s.send("+" + frame(""));
        for (;;) {
            auto request = s.read_frame();
            if (request.empty())
                return;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
            if (s.pending_frame())
                overlapped = true;
            s.send("+" + frame(memory_reply(request)));
        }
    });
    ClientOptions options;
    options.connection = quick();
    auto client = RspClient::open(stub.transport(), options);
    ASSERT_TRUE(client) << client.error().message;
    std::vector<std::string> buffers{std::string(8, '\0'), std::string(8, '\0'),
                                     std::string(8, '\0')};
    auto ok = (*client)->read_memory_ranges(ranges_into(buffers));
    ASSERT_TRUE(ok) << ok.error().message;
    expect_fake_memory(buffers);
    client->reset();
    stub.join();
    EXPECT_FALSE(overlapped);
}

} // namespace
} // namespace kdive::rsp
