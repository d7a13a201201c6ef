// Splitting a debugger's byte stream into pieces that pass on unchanged.
#include "rsp/client_stream.hpp"

#include <gtest/gtest.h>

namespace kdive::rsp {
namespace {

TEST(ClientStreamSplitter, PacketsAcksAndInterruptsComeOutWhole) {
    ClientStreamSplitter splitter;
    splitter.feed("+$qRcmd,6b#");
    auto ack = splitter.next();
    ASSERT_TRUE(ack);
    EXPECT_FALSE(ack->packet);
    EXPECT_EQ(ack->raw, "+");
    EXPECT_FALSE(splitter.next()) << "half a packet is held back";
    splitter.feed("a1\x03$m0,1#fb");
    auto packet = splitter.next();
    ASSERT_TRUE(packet);
    EXPECT_TRUE(packet->packet);
    EXPECT_EQ(packet->raw, "$qRcmd,6b#a1");
    EXPECT_EQ(packet->payload, "qRcmd,6b");
    auto interrupt = splitter.next();
    ASSERT_TRUE(interrupt);
    EXPECT_EQ(interrupt->raw, "\x03");
    auto read = splitter.next();
    ASSERT_TRUE(read);
    EXPECT_EQ(read->payload, "m0,1");
    EXPECT_FALSE(splitter.next());
}

TEST(ClientStreamSplitter, AnEndlessPacketIsPassedOnNotHoarded) {
    ClientStreamSplitter splitter;
    splitter.feed("$" + std::string(ClientStreamSplitter::max_packet + 1, 'x'));
    auto piece = splitter.next();
    ASSERT_TRUE(piece);
    EXPECT_FALSE(piece->packet);
    EXPECT_EQ(piece->raw.size(), ClientStreamSplitter::max_packet + 2);
    EXPECT_FALSE(splitter.next());
}

} // namespace
} // namespace kdive::rsp
