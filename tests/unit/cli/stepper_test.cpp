// Running to temporary breakpoints over a scripted Target: the stop must be on the stepping
// vCPU with the expected stack pointer, and the temporaries go away however the run ends.
#include "../debuginfo/compiled_program.hpp"
#include "cli/stepper.hpp"

#include <cstdio>
#include <deque>
#include <gtest/gtest.h>
#include <thread>

namespace kdive::cli {
namespace {

using target::StopEvent;

constexpr std::uint64_t return_address = 0xffffffff81000105u;
constexpr std::uint64_t caller_sp = 0xffffffff82003f58u;

// Each resume or step consumes the next scripted stop, which sets rip/rsp and the vCPU.
class ScriptedTarget final : public target::Target {
public:
    struct Stop {
        StopEvent::Reason reason = StopEvent::Reason::breakpoint;
        int vcpu = 0;
        std::uint64_t rip = 0;
        std::uint64_t rsp = 0;
        // Time that passes with no stop before this one arrives.
        std::chrono::milliseconds delay{0};
    };
    std::deque<Stop> script;
    std::vector<target::Breakpoint> inserted;
    std::vector<std::string> log; // "resume", "step vCPU 1", ...
    bool fail_next_wait = false;
    std::uint64_t rip = 0xffffffff81000100u;
    std::uint64_t rsp = caller_sp - 8;
    int vcpu = 0;
    bool is_running = false;
    bool others_run = true;

    Result<> read_memory(std::uint64_t a, std::span<std::uint8_t>) override {
        return fail("no memory at {:#x}", a);
    }
    Result<> write_memory(std::uint64_t, std::span<const std::uint8_t>) override { return {}; }
    Result<> read_physical(std::uint64_t a, std::span<std::uint8_t> o) override {
        return read_memory(a, o);
    }
    Result<> write_physical(std::uint64_t, std::span<const std::uint8_t>) override { return {}; }
    const std::vector<target::RegisterDescription>& registers() const override {
        return descriptions_;
    }
    Result<std::vector<std::uint8_t>> read_register_bytes(std::string_view name) override {
        if (is_running)
            return fail("the guest is running");
        std::uint64_t value = name == "rip" ? rip : name == "rsp" ? rsp : 0;
        std::vector<std::uint8_t> bytes(8);
        for (int i = 0; i < 8; ++i)
            bytes[i] = static_cast<std::uint8_t>(value >> (8 * i));
        return bytes;
    }
    Result<> resume() override {
        log.push_back("resume");
        is_running = true;
        return {};
    }
    Result<> step() override {
        log.push_back(fmt::format("step vCPU {}{}", vcpu, others_run ? "" : " alone"));
        is_running = true;
        return {};
    }
    Result<> interrupt() override {
        log.push_back("interrupt");
        script.push_front(Stop{StopEvent::Reason::interrupted, vcpu, rip, rsp});
        return {};
    }
    Result<std::optional<StopEvent>> wait_for_stop(std::chrono::milliseconds) override {
        if (fail_next_wait) {
            fail_next_wait = false;
            return fail("the stub hung up");
        }
        if (script.empty())
            return fail("script ran out");
        if (script.front().delay.count() > 0) {
            std::this_thread::sleep_for(script.front().delay);
            script.front().delay = {};
            return std::nullopt;
        }
        Stop stop = script.front();
        script.pop_front();
        rip = stop.rip;
        rsp = stop.rsp;
        vcpu = stop.vcpu;
        is_running = false;
        StopEvent event;
        event.reason = stop.reason;
        event.vcpu = stop.vcpu;
        return event;
    }
    std::string describe() const override { return "a test target"; }
    bool running() const override { return is_running; }
    Result<> insert_breakpoint(const target::Breakpoint& bp) override {
        if (is_running)
            return fail("inserting a breakpoint while running");
        inserted.push_back(bp);
        return {};
    }
    Result<> remove_breakpoint(const target::Breakpoint& bp) override {
        if (is_running)
            return fail("removing a breakpoint while running");
        std::erase(inserted, bp);
        return {};
    }
    const std::vector<target::Breakpoint>& inserted_breakpoints() const override {
        return inserted;
    }
    bool others_run_while_stepping() const override { return others_run; }
    Result<> set_others_run_while_stepping(bool run) override {
        others_run = run;
        return {};
    }
    int vcpu_count() const override { return 2; }
    int current_vcpu() const override { return vcpu; }
    Result<> select_vcpu(int index) override {
        vcpu = index;
        return {};
    }
    Result<std::string> monitor(std::string_view) override { return std::string(); }
    Result<> detach() override { return {}; }

private:
    std::vector<target::RegisterDescription> descriptions_{{"rip", 64, "code_ptr"},
                                                           {"rsp", 64, "data_ptr"}};
};

class StepperTest : public ::testing::Test {
protected:
    void SetUp() override {
        auto binary = testing::compile_sample(dir_.path(), {});
        ASSERT_FALSE(binary.empty());
        auto info = debuginfo::DebugInfo::open(binary);
        ASSERT_TRUE(info) << info.error().message;
        info_ = std::move(*info);
        out_ = std::fopen("/dev/null", "w");
        session_ = std::make_unique<DebuggerSession>(target_, locations_, out_);
        stepper_ =
            std::make_unique<Stepper>(target_, *session_, *info_, [] { return std::uint64_t{0}; });
    }
    void TearDown() override {
        if (out_ != nullptr)
            std::fclose(out_);
    }

    const TemporaryStop caller{return_address, caller_sp, std::nullopt};
    testing::TempDir dir_{"stepper"};
    ScriptedTarget target_;
    Locations locations_;
    std::FILE* out_ = nullptr;
    std::unique_ptr<debuginfo::DebugInfo> info_;
    std::unique_ptr<DebuggerSession> session_;
    std::unique_ptr<Stepper> stepper_;
};

TEST_F(StepperTest, OtherVcpusAndDeeperFramesAreSteppedPast) {
    target_.script = {
        {StopEvent::Reason::breakpoint, 1, return_address, caller_sp},         // other vCPU
        {StopEvent::Reason::breakpoint, 1, return_address + 3, caller_sp},     // its step
        {StopEvent::Reason::breakpoint, 0, return_address, caller_sp - 0x100}, // recursion
        {StopEvent::Reason::breakpoint, 0, return_address + 3, caller_sp - 0x100},
        {StopEvent::Reason::breakpoint, 0, return_address, caller_sp}, // the one
    };
    auto outcome = stepper_->run_to({caller});
    ASSERT_TRUE(outcome) << outcome.error().message;
    EXPECT_FALSE(outcome->other_stop);
    EXPECT_EQ(target_.vcpu, 0);
    EXPECT_TRUE(target_.inserted.empty());
    // The awaited vCPU stays put while another is stepped past the breakpoint.
    EXPECT_EQ(target_.log, (std::vector<std::string>{"resume", "step vCPU 1 alone", "resume",
                                                     "step vCPU 0 alone", "resume"}));
    EXPECT_TRUE(target_.others_run);
}

// Above the awaited frame on its stack the frame has returned already: the run ends there
// rather than waiting for a hit that cannot come. Another task's stack is stepped past.
TEST_F(StepperTest, AGoneFrameEndsTheRunAnotherStackDoesNot) {
    target_.script = {
        {StopEvent::Reason::breakpoint, 0, return_address, caller_sp + 0x10000}, // other task
        {StopEvent::Reason::breakpoint, 0, return_address + 3, caller_sp + 0x10000},
        {StopEvent::Reason::breakpoint, 0, return_address, caller_sp + 0x40}, // outer frame
    };
    auto outcome = stepper_->run_to({caller});
    ASSERT_TRUE(outcome) << outcome.error().message;
    EXPECT_FALSE(outcome->other_stop);
    EXPECT_EQ(target_.rsp, caller_sp + 0x40);
    EXPECT_TRUE(target_.inserted.empty());
}

// The stop timeout bounds the whole run, not each of its resumes: hits in other frames that
// keep coming do not keep it alive.
TEST_F(StepperTest, TheStopTimeoutBoundsTheWholeRun) {
    DebuggerOptions options;
    options.stop_timeout = std::chrono::milliseconds(300);
    DebuggerSession session(target_, locations_, out_, options);
    Stepper stepper(target_, session, *info_, [] { return std::uint64_t{0}; });
    for (int i = 0; i < 8; ++i) {
        ScriptedTarget::Stop hit{StopEvent::Reason::breakpoint, 1, return_address, caller_sp};
        hit.delay = std::chrono::milliseconds(100);
        target_.script.push_back(hit);
        target_.script.push_back({StopEvent::Reason::breakpoint, 1, return_address + 3, caller_sp});
    }
    auto outcome = stepper.run_to({caller});
    ASSERT_FALSE(outcome);
    EXPECT_NE(outcome.error().message.find("no stop within 300 ms"), std::string::npos)
        << outcome.error().message;
    EXPECT_TRUE(target_.inserted.empty());
    EXPECT_FALSE(target_.running());
}

TEST_F(StepperTest, InterruptRemovesTheTemporaryBreakpoint) {
    target_.script = {{StopEvent::Reason::interrupted, 0, 0xffffffff81234567u, caller_sp - 64}};
    auto outcome = stepper_->run_to({caller});
    ASSERT_TRUE(outcome) << outcome.error().message;
    ASSERT_TRUE(outcome->other_stop);
    EXPECT_EQ(outcome->other_stop->reason, StopEvent::Reason::interrupted);
    EXPECT_TRUE(target_.inserted.empty());
}

TEST_F(StepperTest, ErrorsStopTheGuestAndRemoveTheTemporaryBreakpoint) {
    target_.fail_next_wait = true;
    auto outcome = stepper_->run_to({caller});
    ASSERT_FALSE(outcome);
    EXPECT_NE(outcome.error().message.find("hung up"), std::string::npos);
    EXPECT_FALSE(target_.running());
    EXPECT_TRUE(target_.inserted.empty());
}

TEST_F(StepperTest, AUsersBreakpointAtTheSameAddressStays) {
    const target::Breakpoint users{target::BreakpointKind::software, return_address, 1};
    target_.inserted.push_back(users);
    target_.script = {{StopEvent::Reason::breakpoint, 0, return_address, caller_sp}};
    auto outcome = stepper_->run_to({caller});
    ASSERT_TRUE(outcome) << outcome.error().message;
    EXPECT_EQ(target_.inserted, std::vector<target::Breakpoint>{users});
}

TEST_F(StepperTest, TheUsersBreakpointElsewhereEndsTheRun) {
    const target::Breakpoint users{target::BreakpointKind::software, 0xffffffff81000200u, 1};
    target_.inserted.push_back(users);
    target_.script = {{StopEvent::Reason::breakpoint, 1, users.address, caller_sp - 0x200}};
    auto outcome = stepper_->run_to({caller});
    ASSERT_TRUE(outcome) << outcome.error().message;
    ASSERT_TRUE(outcome->other_stop);
    EXPECT_EQ(outcome->other_stop->vcpu, 1);
    EXPECT_EQ(target_.inserted, std::vector<target::Breakpoint>{users});
}

} // namespace
} // namespace kdive::cli
