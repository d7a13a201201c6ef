// Faults a real QEMU cannot be made to produce, played by an in-process fake stub over a
// socketpair: dropped connections, NAK storms, corrupt and silent replies.
#include "fake_stub.hpp"
#include "rsp/rsp_client.hpp"
#include "rsp/rsp_connection.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <string>
#include <thread>

namespace kdive::rsp {
namespace {

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
    EXPECT_TRUE(reply.error().is(ErrorKind::transport));
    // Every later call reports the lost connection at once instead of waiting.
    auto again = connection.request("g");
    ASSERT_FALSE(again);
    EXPECT_NE(again.error().message.find("closed the connection"), std::string::npos);
    EXPECT_TRUE(again.error().is(ErrorKind::transport));
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
    EXPECT_TRUE(reply.error().is(ErrorKind::transport));
    // A reply coming now would be taken for the answer to the next request: none is sent.
    auto next = connection.request("m0,8");
    ASSERT_FALSE(next);
    EXPECT_NE(next.error().message.find("no reply"), std::string::npos) << next.error().message;
    EXPECT_TRUE(next.error().is(ErrorKind::transport));
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
    EXPECT_TRUE(bytes.error().is(ErrorKind::corrupt));
}

TEST(RspErrorKinds, RepliesSayWhatKindOfFailure) {
    FakeStub stub([](FakeStub& s) {
        s.read_frame();
        s.send("+" + frame("PacketSize=1000"));
        s.read_frame(); // m: an unmapped page
        s.send("+" + frame("E14"));
        s.read_frame(); // qRcmd: not supported
        s.send("+" + frame(""));
        s.read_frame(); // M: refused
        s.send("+" + frame("E22"));
        s.read_frame();
    });
    auto client = RspClient::open(stub.transport(), ClientOptions{});
    ASSERT_TRUE(client) << client.error().message;
    auto unmapped = (*client)->read_memory(0xffff888000000000u, 8);
    ASSERT_FALSE(unmapped);
    EXPECT_TRUE(unmapped.error().is(ErrorKind::unmapped)) << unmapped.error().message;
    auto monitor = (*client)->monitor("info status");
    ASSERT_FALSE(monitor);
    EXPECT_TRUE(monitor.error().is(ErrorKind::unsupported)) << monitor.error().message;
    auto write = (*client)->write_memory(0x1000, "ab");
    ASSERT_FALSE(write);
    EXPECT_TRUE(write.error().is(ErrorKind::other)) << write.error().message;
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

// Replies owed for a batch that failed are read and dropped before anything else is asked, so
// each later request gets its own reply. This stub answers the second of three equal-sized
// reads after the client's reply timeout: taken as the reply to a later request, its bytes
// would land in the wrong buffer.
TEST(RspPipelining, LateReplyIsDrainedNotPairedWithALaterRequest) {
    FakeStub stub([](FakeStub& s) {
        s.read_frame();
        s.send("+" + frame("PacketSize=1000"));
        s.read_frame();
        s.send("+" + frame("sstepbits;sstep;PhyMemMode"));
        std::vector<std::string> batch;
        for (int i = 0; i < 3; ++i)
            batch.push_back(s.read_frame());
        s.send("+" + frame(memory_reply(batch[0])) + "+");
        std::this_thread::sleep_for(std::chrono::milliseconds(600)); // twice the reply timeout
        s.send(frame(memory_reply(batch[1])) + "+" + frame(memory_reply(batch[2])));
        for (;;) {
            auto request = s.read_frame();
            if (request.empty())
                return;
            s.send("+" + frame(memory_reply(request)));
        }
    });
    ClientOptions options;
    options.connection = quick();
    options.connection.drain_timeout = std::chrono::seconds(30);
    auto client = RspClient::open(stub.transport(), options);
    ASSERT_TRUE(client) << client.error().message;
    // Equal sizes, different bytes: a reply paired with the wrong request would go unnoticed
    // by the length check and show here.
    std::vector<std::string> buffers(3, std::string(8, '\0'));
    std::vector<RspClient::MemoryRange> ranges;
    for (std::size_t i = 0; i < buffers.size(); ++i)
        ranges.push_back({0x1111 * (i + 1), std::span(buffers[i])});
    auto ok = (*client)->read_memory_ranges(ranges);
    ASSERT_TRUE(ok) << ok.error().message;
    for (std::size_t i = 0; i < buffers.size(); ++i)
        for (std::size_t j = 0; j < 8; ++j)
            EXPECT_EQ(static_cast<unsigned char>(buffers[i][j]), (0x11 * (i + 1) + j) & 0xff)
                << "range " << i;
    // The connection is in step: a read after the batch gets its own bytes.
    auto after = (*client)->read_memory(0x7720, 4);
    ASSERT_TRUE(after) << after.error().message;
    EXPECT_EQ(*after, std::string("\x20\x21\x22\x23", 4));
}

// A batch whose replies never all come leaves the connection unusable: every later request
// fails at once with the reason, and nothing more is sent to the stub.
TEST(RspPipelining, MissingRepliesBreakTheConnection) {
    int after_batch = 0;
    FakeStub stub([&after_batch](FakeStub& s) {
        s.read_frame();
        s.send("+" + frame("PacketSize=1000"));
        s.read_frame();
        s.send("+" + frame("sstepbits;sstep;PhyMemMode"));
        std::vector<std::string> batch;
        for (int i = 0; i < 3; ++i)
            batch.push_back(s.read_frame());
        s.send("+" + frame(memory_reply(batch[0])) + "++"); // then silence for the other two
        while (!s.read_frame().empty())
            ++after_batch;
    });
    ClientOptions options;
    options.connection = quick();
    options.connection.drain_timeout = std::chrono::milliseconds(300);
    auto client = RspClient::open(stub.transport(), options);
    ASSERT_TRUE(client) << client.error().message;
    std::vector<std::string> buffers(3, std::string(8, '\0'));
    auto ok = (*client)->read_memory_ranges(ranges_into(buffers));
    ASSERT_FALSE(ok);
    EXPECT_TRUE(ok.error().is(ErrorKind::transport)) << ok.error().message;
    EXPECT_NE(ok.error().message.find("out of step"), std::string::npos) << ok.error().message;
    auto later = (*client)->read_memory(0x7720, 4);
    ASSERT_FALSE(later);
    EXPECT_TRUE(later.error().is(ErrorKind::transport)) << later.error().message;
    EXPECT_NE(later.error().message.find("out of step"), std::string::npos)
        << later.error().message;
    client->reset();
    stub.join();
    EXPECT_EQ(after_batch, 0);
}

} // namespace
} // namespace kdive::rsp
