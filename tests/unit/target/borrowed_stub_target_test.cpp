// The Target kdive uses behind GDB's `monitor kdive`: what it sends a stub, and what it puts
// back for the debugger that owns it.
#include "../rsp/fake_stub.hpp"
#include "target/borrowed_stub_target.hpp"

#include <gtest/gtest.h>
#include <mutex>
#include <vector>

namespace kdive::target {
namespace {

// Answers like QEMU with two vCPUs in multiprocess mode, and records every request.
class StubLog {
public:
    std::vector<std::string> requests() {
        std::lock_guard lock(mutex_);
        return requests_;
    }
    void serve(rsp::FakeStub& stub) {
        for (std::string frame = stub.read_frame(); !frame.empty(); frame = stub.read_frame()) {
            const std::string payload = frame.substr(1, frame.size() - 4);
            {
                std::lock_guard lock(mutex_);
                requests_.push_back(payload);
            }
            std::string reply = "OK";
            if (payload == "qfThreadInfo") {
                reply = "mp01.01,p01.02";
            } else if (payload == "qsThreadInfo") {
                reply = "l";
            } else if (payload.starts_with("m")) {
                reply = "0102";
            }
            stub.send(rsp::encode_packet(reply));
        }
    }

private:
    std::mutex mutex_;
    std::vector<std::string> requests_;
};

class BorrowedStubTargetTest : public ::testing::Test {
protected:
    StubLog log_;
    rsp::FakeStub stub_{[this](rsp::FakeStub& stub) { log_.serve(stub); }};
    rsp::RspConnection connection_{stub_.transport()};
    void SetUp() override { connection_.set_no_ack(true); }
};

TEST_F(BorrowedStubTargetTest, StartsOnTheDebuggersThreadAndPutsItBack) {
    BorrowedStubTarget target(connection_);
    target.begin_request("Hgp1.2");
    EXPECT_EQ(target.vcpu_count(), 2);
    EXPECT_EQ(target.current_vcpu(), 1);
    ASSERT_TRUE(target.select_vcpu(0));
    EXPECT_EQ(target.current_vcpu(), 0);
    ASSERT_TRUE(target.end_request());
    EXPECT_EQ(log_.requests(),
              (std::vector<std::string>{"qfThreadInfo", "qsThreadInfo", "Hgp1.1", "Hgp1.2"}));
    EXPECT_FALSE(target.select_vcpu(2));
}

TEST_F(BorrowedStubTargetTest, NothingMovedNothingPutBack) {
    BorrowedStubTarget target(connection_);
    target.begin_request("");
    EXPECT_EQ(target.current_vcpu(), 0);
    ASSERT_TRUE(target.select_vcpu(0));
    ASSERT_TRUE(target.end_request());
    EXPECT_EQ(log_.requests(), (std::vector<std::string>{"qfThreadInfo", "qsThreadInfo"}));
}

TEST_F(BorrowedStubTargetTest, PhysicalModeIsOffAgainAfterARead) {
    BorrowedStubTarget target(connection_);
    std::uint8_t bytes[2] = {};
    ASSERT_TRUE(target.read_physical(0x1000, bytes));
    EXPECT_EQ(bytes[0], 1);
    EXPECT_EQ(bytes[1], 2);
    EXPECT_EQ(log_.requests(),
              (std::vector<std::string>{"Qqemu.PhyMemMode:1", "m1000,2", "Qqemu.PhyMemMode:0"}));
}

TEST_F(BorrowedStubTargetTest, RunControlIsRefusedSayingWhy) {
    BorrowedStubTarget target(connection_);
    auto resumed = target.resume();
    ASSERT_FALSE(resumed);
    EXPECT_NE(resumed.error().message.find("GDB owns the stub"), std::string::npos);
    EXPECT_FALSE(target.insert_breakpoint({BreakpointKind::software, 0x1000, 1}));
    EXPECT_FALSE(target.write_memory(0x1000, std::vector<std::uint8_t>{0}));
    EXPECT_TRUE(log_.requests().empty());
}

} // namespace
} // namespace kdive::target
