// RspTarget against QEMU 7.2 booting the test kernel paused: reset vector, the 32→64-bit switch
// on one connection, breakpoints, memory, stepping, interrupts, vCPUs and a VM that dies.
#include "kernel_symbols.hpp"
#include "target/rsp_target.hpp"
#include "test_vm.hpp"

#include <csignal>
#include <cstring>
#include <gtest/gtest.h>

namespace kdive::testing {
namespace {

using namespace std::chrono_literals;
using target::BreakpointKind;
using target::RspTarget;
using target::StopEvent;

constexpr std::uint64_t efer_lma = 1u << 10;
// Booting to start_kernel under TCG takes seconds; allow for a slow, loaded machine.
constexpr auto boot_timeout = std::chrono::seconds(180);

#define ASSERT_OK(expr)                                                                            \
    do {                                                                                           \
        auto&& ok_ = (expr);                                                                       \
        ASSERT_TRUE(ok_) << #expr << ": " << ok_.error().message;                                  \
    } while (0)

class RspTargetTest : public ::testing::Test {
protected:
    void boot(std::vector<std::string> extra = {}) {
        extra.push_back("--paused");
        auto booted = TestVm::boot(test_kernel(), extra);
        ASSERT_TRUE(booted) << booted.error().message;
        vm_.emplace(std::move(*booted));
        auto endpoint = rsp::Endpoint::parse(vm_->session().gdb);
        ASSERT_TRUE(endpoint) << endpoint.error().message;
        auto attached = RspTarget::attach(*endpoint);
        ASSERT_TRUE(attached) << attached.error().message;
        target_ = std::move(*attached);
    }

    std::uint64_t symbol(const std::string& name) {
        auto address = symbol_address(test_kernel(), name);
        EXPECT_TRUE(address) << address.error().message;
        return address ? *address : 0;
    }

    std::uint64_t reg(const char* name) {
        auto value = target_->read_register(name);
        EXPECT_TRUE(value) << name << ": " << value.error().message;
        return value ? *value : ~0ull;
    }

    // Continues and waits for the next stop.
    StopEvent run_to_stop(std::chrono::seconds timeout = boot_timeout) {
        auto resumed = target_->resume();
        EXPECT_TRUE(resumed) << resumed.error().message;
        auto stop = target_->wait_for_stop(timeout);
        EXPECT_TRUE(stop) << stop.error().message;
        EXPECT_TRUE(stop && *stop) << "no stop within " << timeout.count() << " s";
        return stop && *stop ? **stop : StopEvent{};
    }

    void run_to_start_kernel() {
        std::uint64_t start_kernel = symbol("start_kernel");
        ASSERT_OK(target_->insert_breakpoint({BreakpointKind::hardware, start_kernel, 1}));
        auto stop = run_to_stop();
        ASSERT_EQ(stop.reason, StopEvent::Reason::breakpoint);
        ASSERT_EQ(reg("rip"), start_kernel);
        ASSERT_OK(target_->remove_breakpoint({BreakpointKind::hardware, start_kernel, 1}));
    }

    void TearDown() override {
        target_.reset(); // detaches
        if (vm_)
            (void)vm_->stop();
    }

    std::optional<TestVm> vm_;
    std::unique_ptr<RspTarget> target_;
};

TEST_F(RspTargetTest, ResetVector) {
    boot();
    EXPECT_EQ(reg("rip"), 0xfff0u);
    EXPECT_EQ(reg("cs"), 0xf000u);
    EXPECT_EQ(reg("efer") & efer_lma, 0u);
    EXPECT_EQ(target_->registers().size(), 66u);
    // The stub's XML has no cs_base; QEMU's monitor shows the hidden base of the reset CS.
    auto registers = target_->monitor("info registers");
    ASSERT_OK(registers);
    EXPECT_NE(registers->find("CS =f000 ffff0000"), std::string::npos) << *registers;
}

TEST_F(RspTargetTest, StopsAtStartKernelInLongModeOnTheSameConnection) {
    boot();
    ASSERT_EQ(reg("rip"), 0xfff0u); // real mode first...
    run_to_start_kernel();          // ...then 64-bit, with no reconnect
    EXPECT_NE(reg("efer") & efer_lma, 0u);
    EXPECT_EQ(reg("cs"), 0x10u); // __KERNEL_CS
    EXPECT_NE(reg("cr0") & 0x80000000u, 0u);
    EXPECT_NE(reg("cr3"), 0u);
    EXPECT_GE(reg("rsp"), 0xffffffff80000000u);
    auto xmm0 = target_->read_register_bytes("xmm0");
    ASSERT_OK(xmm0);
    EXPECT_EQ(xmm0->size(), 16u);
    EXPECT_FALSE(target_->read_register("xmm0")); // too wide for a u64, and says so
    EXPECT_FALSE(target_->read_register("nosuchreg"));
}

TEST_F(RspTargetTest, ReadsAndWritesMemory) {
    boot();
    run_to_start_kernel();
    std::uint64_t start_kernel = symbol("start_kernel");
    // Kernel text seen virtually and physically (nokaslr: __START_KERNEL_map at phys 0).
    auto code = target_->read_bytes(start_kernel, 16);
    ASSERT_OK(code);
    std::vector<std::uint8_t> physical(16);
    ASSERT_OK(target_->read_physical(start_kernel - 0xffffffff80000000u, physical));
    EXPECT_EQ(*code, physical);
    // A large read crossing many pages and the stub's 2 KiB packet limit.
    auto text = target_->read_bytes(symbol("_text"), 64 * 1024);
    ASSERT_OK(text);
    EXPECT_EQ(text->size(), 64u * 1024);
    // Write, read back (the page cache must not hide the write), restore.
    std::uint64_t jiffies = symbol("jiffies_64");
    auto old = target_->read_u64(jiffies);
    ASSERT_OK(old);
    std::uint8_t pattern[8] = {0xde, 0xad, 0xbe, 0xef, 0x01, 0x02, 0x03, 0x04};
    ASSERT_OK(target_->write_memory(jiffies, pattern));
    auto back = target_->read_u64(jiffies);
    ASSERT_OK(back);
    EXPECT_EQ(*back, 0x04030201efbeaddeu);
    std::uint8_t restore[8];
    std::memcpy(restore, &*old, 8);
    ASSERT_OK(target_->write_memory(jiffies, restore));
    EXPECT_EQ(*target_->read_u64(jiffies), *old);
    // Unmapped memory: the error names the address.
    auto unmapped = target_->read_bytes(0xffffc90000000000u, 8);
    ASSERT_FALSE(unmapped);
    EXPECT_NE(unmapped.error().message.find("0xffffc90000000000"), std::string::npos)
        << unmapped.error().message;
    // Reads that straddle a mapped and an unmapped page fail too, naming the bad page.
}

TEST_F(RspTargetTest, StepsOneInstruction) {
    boot();
    run_to_start_kernel();
    std::uint64_t before = reg("rip");
    auto code = target_->read_bytes(before, 5);
    ASSERT_OK(code);
    ASSERT_OK(target_->step());
    auto stop = target_->wait_for_stop(30s);
    ASSERT_OK(stop);
    ASSERT_TRUE(*stop);
    EXPECT_EQ((*stop)->reason, StopEvent::Reason::breakpoint);
    std::uint64_t after = reg("rip");
    if ((*code)[0] == 0xe8) { // call rel32: the step lands on the callee
        std::int32_t rel;
        std::memcpy(&rel, code->data() + 1, 4);
        EXPECT_EQ(after, before + 5 + static_cast<std::int64_t>(rel));
    } else {
        EXPECT_NE(after, before);
    }
}

TEST_F(RspTargetTest, InterruptsRunningGuest) {
    boot();
    run_to_start_kernel();
    ASSERT_OK(target_->resume());
    EXPECT_TRUE(target_->running());
    EXPECT_FALSE(target_->read_register("rip")); // refused while running
    auto none = target_->wait_for_stop(300ms);
    ASSERT_OK(none);
    EXPECT_FALSE(*none);
    ASSERT_OK(target_->interrupt());
    auto stop = target_->wait_for_stop(30s);
    ASSERT_OK(stop);
    ASSERT_TRUE(*stop);
    EXPECT_NE((*stop)->reason, StopEvent::Reason::exited);
    EXPECT_FALSE(target_->running());
    EXPECT_GE(reg("rip"), 0xffffffff80000000u);
}

TEST_F(RspTargetTest, WatchpointReportsAddress) {
    boot();
    run_to_start_kernel();
    std::uint64_t jiffies = symbol("jiffies_64");
    ASSERT_OK(target_->insert_breakpoint({BreakpointKind::write_watch, jiffies, 8}));
    auto stop = run_to_stop();
    EXPECT_EQ(stop.reason, StopEvent::Reason::watchpoint);
    EXPECT_EQ(stop.watch_kind, BreakpointKind::write_watch);
    EXPECT_EQ(stop.watch_address, jiffies);
    EXPECT_EQ(target_->inserted_breakpoints().size(), 1u);
}

TEST_F(RspTargetTest, SwitchesVcpus) {
    boot({"--smp", "2"});
    run_to_start_kernel();
    ASSERT_EQ(target_->vcpu_count(), 2);
    EXPECT_EQ(target_->current_vcpu(), 0);
    // At start_kernel the second CPU has not been started: still in real mode.
    ASSERT_OK(target_->select_vcpu(1));
    EXPECT_EQ(reg("efer") & efer_lma, 0u);
    ASSERT_OK(target_->select_vcpu(0));
    EXPECT_EQ(reg("rip"), symbol("start_kernel"));
    EXPECT_FALSE(target_->select_vcpu(2));
    // Another vCPU's registers by number: the same values, and the selection stays.
    auto other_efer = target_->read_cpu_register(1, "efer");
    ASSERT_TRUE(other_efer) << other_efer.error().message;
    EXPECT_EQ(*other_efer & efer_lma, 0u);
    EXPECT_EQ(target_->current_vcpu(), 0);
    EXPECT_EQ(target_->read_cpu_register(0, "rip"), symbol("start_kernel"));
    // Memory goes through the stub's register thread: it went back to vCPU 0, whose page tables
    // map the kernel (vCPU 1 is in real mode).
    EXPECT_TRUE(target_->read_u64(symbol("start_kernel")));
    EXPECT_FALSE(target_->read_cpu_register(2, "rip"));
}

TEST_F(RspTargetTest, DetachRemovesBreakpointsAndLeavesGuestRunning) {
    boot();
    ASSERT_OK(target_->insert_breakpoint({BreakpointKind::hardware, symbol("start_kernel"), 1}));
    ASSERT_OK(target_->insert_breakpoint({BreakpointKind::software, symbol("start_kernel"), 1}));
    ASSERT_OK(target_->detach());
    // Had a breakpoint survived, the guest would sit at start_kernel forever.
    auto shell = vm_->wait_for("Run /init");
    EXPECT_TRUE(shell) << shell.error().message;
}

TEST_F(RspTargetTest, VmKilledMidSessionGivesClearError) {
    boot();
    run_to_start_kernel();
    ASSERT_OK(target_->resume());
    ::kill(vm_->session().pid, SIGKILL);
    auto stop = target_->wait_for_stop(30s);
    ASSERT_FALSE(stop);
    EXPECT_NE(stop.error().message.find("closed the connection"), std::string::npos)
        << stop.error().message;
    auto later = target_->interrupt();
    EXPECT_FALSE(later);
}

TEST_F(RspTargetTest, VmKilledWhileStopped) {
    boot();
    ::kill(vm_->session().pid, SIGKILL);
    auto bytes = target_->read_bytes(0, 8);
    ASSERT_FALSE(bytes);
    EXPECT_NE(bytes.error().message.find(vm_->session().gdb), std::string::npos)
        << bytes.error().message;
}

} // namespace
} // namespace kdive::testing
