// RspTarget against a fake stub that keeps, like QEMU 7.2's, what a previous client set up:
// multiprocess mode (never switched off once a client asked for it), so `D` needs a pid and
// thread ids come as pPID.TID. Also unavailable ("xx") registers and vCont stepping.
#include "../rsp/fake_stub.hpp"
#include "rsp/rsp_client.hpp"
#include "target/rsp_target.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <string>
#include <vector>

namespace kdive::target {
namespace {

using rsp::FakeStub;
using rsp::frame;

constexpr std::string_view target_xml =
    "<?xml version=\"1.0\"?><target><architecture>i386:x86-64</architecture>"
    "<feature name=\"org.gnu.gdb.i386.core\">"
    "<reg name=\"rax\" bitsize=\"64\" type=\"int64\"/>"
    "<reg name=\"rbx\" bitsize=\"64\" type=\"int64\"/>"
    "<reg name=\"rip\" bitsize=\"64\" type=\"code_ptr\"/>"
    "</feature></target>";

// What the stub does and what it was asked.
struct StubModel {
    bool multiprocess = false; // as a previous client left it
    bool offer_multiprocess = true;
    bool offer_vcont = true;
    // rax = 1, rbx unavailable, rip = 0xffffffff81001000
    std::string registers = "0100000000000000"
                            "xxxxxxxxxxxxxxxx"
                            "00100081ffffffff";
    std::vector<std::string> requests;

    std::string thread(int n) const {
        return multiprocess ? fmt::format("p01.{:02x}", n) : fmt::format("{:02x}", n);
    }
    std::string stop(int n) const { return fmt::format("T05thread:{};", thread(n)); }

    // The reply to one request; a step is answered at once with the stop it ends in.
    std::string answer(const std::string& request) {
        requests.push_back(request);
        if (request.starts_with("qSupported")) {
            if (offer_multiprocess && request.find("multiprocess+") != std::string::npos)
                multiprocess = true;
            return fmt::format("PacketSize=1000;qXfer:features:read+{}{}",
                               offer_vcont ? ";vContSupported+" : "",
                               offer_multiprocess ? ";multiprocess+" : "");
        }
        if (request == "vCont?")
            return "vCont;c;C;s;S";
        if (request.starts_with("qXfer:features:read:target.xml:"))
            return "l" + std::string(target_xml);
        if (request == "qfThreadInfo")
            return "m" + thread(1) + "," + thread(2);
        if (request == "qsThreadInfo")
            return "l";
        if (request == "?")
            return stop(1);
        if (request.starts_with("H") || request.starts_with("Qqemu.PhyMemMode:"))
            return "OK";
        if (request == "g")
            return registers;
        // QEMU 7.2's handle_detach: in multiprocess mode the pid is required.
        if (request == "D")
            return multiprocess ? "E22" : "OK";
        if (request.starts_with("D;"))
            return "OK";
        if (request.starts_with("vCont;s") || request == "s")
            return stop(2);
        return "";
    }
};

// Runs `model` behind a fake stub until the client hangs up.
FakeStub serve(StubModel& model) {
    return FakeStub([&model](FakeStub& s) {
        for (;;) {
            auto request = s.read_frame();
            if (request.empty())
                return;
            s.send("+" + frame(model.answer(rsp::payload_of(request))));
        }
    });
}

Result<std::unique_ptr<RspTarget>> attach(FakeStub& stub) {
    rsp::ClientOptions options;
    options.connection.reply_timeout = std::chrono::seconds(10);
    auto client = rsp::RspClient::open(stub.transport(), options);
    if (!client)
        return std::unexpected(client.error());
    return RspTarget::attach(std::move(*client));
}

bool asked(const StubModel& model, std::string_view request) {
    return std::find(model.requests.begin(), model.requests.end(), request) != model.requests.end();
}

TEST(RspTargetSharedStub, DetachesAfterAPreviousClientLeftMultiprocessOn) {
    StubModel model;
    model.multiprocess = true; // GDB was here before
    {
        FakeStub stub = serve(model);
        auto target = attach(stub);
        ASSERT_TRUE(target) << target.error().message;
        EXPECT_EQ((*target)->vcpu_count(), 2);
        auto rip = (*target)->read_register("rip");
        ASSERT_TRUE(rip) << rip.error().message;
        EXPECT_EQ(*rip, 0xffffffff81001000u);
        auto detached = (*target)->detach();
        EXPECT_TRUE(detached) << detached.error().message;
        target->reset();
        stub.join();
    }
    EXPECT_TRUE(asked(model, "D;1"));
    EXPECT_FALSE(asked(model, "D"));
    // Registers and memory go through the vCPU kdive means, whatever the last client chose.
    EXPECT_TRUE(asked(model, "Hgp1.1"));
}

TEST(RspTargetSharedStub, AsksForMultiprocessOnAFreshStubAndDetachesToMatch) {
    StubModel model;
    {
        FakeStub stub = serve(model);
        auto target = attach(stub);
        ASSERT_TRUE(target) << target.error().message;
        auto detached = (*target)->detach();
        EXPECT_TRUE(detached) << detached.error().message;
        target->reset();
        stub.join();
    }
    EXPECT_TRUE(model.multiprocess);
    EXPECT_TRUE(asked(model, "D;1"));
}

TEST(RspTargetSharedStub, BareDetachWhereTheStubHasNoMultiprocess) {
    StubModel model;
    model.offer_multiprocess = false;
    {
        FakeStub stub = serve(model);
        auto target = attach(stub);
        ASSERT_TRUE(target) << target.error().message;
        auto detached = (*target)->detach();
        EXPECT_TRUE(detached) << detached.error().message;
        target->reset();
        stub.join();
    }
    EXPECT_TRUE(asked(model, "D"));
    EXPECT_TRUE(asked(model, "Hg1"));
}

TEST(RspTargetSharedStub, PhysicalModeIsSetOnFirstUseWhateverWasLeft) {
    StubModel model;
    {
        FakeStub stub = serve(model);
        auto target = attach(stub);
        ASSERT_TRUE(target) << target.error().message;
        std::vector<std::uint8_t> bytes(8);
        (void)(*target)->read_memory(0xffffffff81000000u, bytes); // the fake has no memory
        target->reset();
        stub.join();
    }
    EXPECT_TRUE(asked(model, "Qqemu.PhyMemMode:0"));
}

TEST(RspTargetRegisters, UnavailableRegisterIsAnErrorNotZero) {
    StubModel model;
    FakeStub stub = serve(model);
    auto target = attach(stub);
    ASSERT_TRUE(target) << target.error().message;
    auto rbx = (*target)->read_register("rbx");
    ASSERT_FALSE(rbx) << "read as " << *rbx;
    EXPECT_TRUE(rbx.error().is(ErrorKind::unsupported)) << rbx.error().message;
    EXPECT_NE(rbx.error().message.find("rbx: <unavailable>"), std::string::npos)
        << rbx.error().message;
    // Its neighbours in the same `g` reply are fine.
    auto rax = (*target)->read_register("rax");
    ASSERT_TRUE(rax) << rax.error().message;
    EXPECT_EQ(*rax, 1u);
}

TEST(RspTargetRegisters, HalfUnavailableByteIsCorrupt) {
    auto decoded = rsp::decode_register_bytes("01x0");
    ASSERT_FALSE(decoded);
    EXPECT_TRUE(decoded.error().is(ErrorKind::corrupt)) << decoded.error().message;
    auto fine = rsp::decode_register_bytes("01xx");
    ASSERT_TRUE(fine) << fine.error().message;
    EXPECT_TRUE(fine->available(0, 1));
    EXPECT_FALSE(fine->available(1, 1));
}

// Steps the selected vCPU (2 after `cpu 1`) and returns the request the stub got.
std::vector<std::string> step_requests(StubModel& model, std::optional<bool> others_run) {
    {
        FakeStub stub = serve(model);
        auto target = attach(stub);
        EXPECT_TRUE(target) << target.error().message;
        if (!target)
            return {};
        EXPECT_TRUE((*target)->select_vcpu(1));
        if (others_run) {
            auto set = (*target)->set_others_run_while_stepping(*others_run);
            EXPECT_TRUE(set) << set.error().message;
        }
        auto stepped = (*target)->step();
        EXPECT_TRUE(stepped) << stepped.error().message;
        auto stop = (*target)->wait_for_stop(std::chrono::seconds(10));
        EXPECT_TRUE(stop && *stop);
        if (stop && *stop) {
            EXPECT_EQ((*stop)->vcpu, 1);
        }
        target->reset();
        stub.join();
    }
    std::vector<std::string> steps;
    for (const auto& request : model.requests)
        if (request.starts_with("vCont;") || request == "s" || request.starts_with("Hc"))
            steps.push_back(request);
    return steps;
}

TEST(RspTargetStepping, VContStepsTheSelectedVcpuAndLetsTheOthersRun) {
    StubModel model;
    EXPECT_EQ(step_requests(model, std::nullopt), std::vector<std::string>{"vCont;s:p1.2;c"});
}

TEST(RspTargetStepping, VContCanKeepTheOthersStopped) {
    StubModel model;
    EXPECT_EQ(step_requests(model, false), std::vector<std::string>{"vCont;s:p1.2"});
}

TEST(RspTargetStepping, WithoutVContHcThenS) {
    StubModel model;
    model.offer_vcont = false;
    model.offer_multiprocess = false;
    EXPECT_EQ(step_requests(model, std::nullopt), (std::vector<std::string>{"Hc2", "s"}));
}

} // namespace
} // namespace kdive::target
