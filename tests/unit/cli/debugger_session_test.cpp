// Debugger commands over an in-memory Target: parsing, output format, breakpoint bookkeeping.
#include "cli/debugger_session.hpp"
#include "cli/memory_format.hpp"

#include <cstdio>
#include <gtest/gtest.h>
#include <map>

namespace kdive::cli {
namespace {

// Memory is mapped in whole 4 KiB pages, like a real guest; registers are fixed; breakpoints
// are recorded.
class MemoryTarget final : public target::Target {
public:
    std::map<std::uint64_t, std::vector<std::uint8_t>> pages;
    void poke(std::uint64_t address, std::uint8_t value) {
        auto& page = pages[address & ~0xfffull];
        page.resize(4096);
        page[address & 0xfff] = value;
    }
    std::map<std::string, std::uint64_t> values{{"rip", 0xffffffff81000000u},
                                                {"rsp", 0xffffffff82003f50u},
                                                {"efer", 0x500},
                                                {"cr0", 0x80050033u}};
    std::vector<target::RegisterDescription> descriptions{{"rip", 64, "code_ptr"},
                                                          {"rsp", 64, "data_ptr"},
                                                          {"efer", 64, "int64"},
                                                          {"cr0", 64, "int64"},
                                                          {"xmm0", 128, "vec128"}};
    std::vector<target::Breakpoint> inserted;
    bool detached = false;

    Result<> read_memory(std::uint64_t address, std::span<std::uint8_t> out) override {
        for (std::size_t i = 0; i < out.size(); ++i) {
            auto found = pages.find((address + i) & ~0xfffull);
            if (found == pages.end())
                return fail("cannot read virtual memory at {:#x}", address + i);
            out[i] = found->second[(address + i) & 0xfff];
        }
        return {};
    }
    Result<> write_memory(std::uint64_t, std::span<const std::uint8_t>) override { return {}; }
    Result<> read_physical(std::uint64_t a, std::span<std::uint8_t> o) override {
        return read_memory(a, o);
    }
    Result<> write_physical(std::uint64_t, std::span<const std::uint8_t>) override { return {}; }
    const std::vector<target::RegisterDescription>& registers() const override {
        return descriptions;
    }
    Result<std::vector<std::uint8_t>> read_register_bytes(std::string_view name) override {
        if (name == "xmm0")
            return std::vector<std::uint8_t>(16, 0x11);
        auto found = values.find(std::string(name));
        if (found == values.end())
            return fail("no register named '{}'", name);
        std::vector<std::uint8_t> bytes(8);
        for (int i = 0; i < 8; ++i)
            bytes[i] = static_cast<std::uint8_t>(found->second >> (8 * i));
        return bytes;
    }
    Result<> resume() override { return fail("not in this test"); }
    Result<> step() override { return fail("not in this test"); }
    Result<> interrupt() override { return {}; }
    Result<std::optional<target::StopEvent>> wait_for_stop(std::chrono::milliseconds) override {
        return fail("not running");
    }
    std::string describe() const override { return "a test target"; }
    bool running() const override { return false; }
    Result<> insert_breakpoint(const target::Breakpoint& bp) override {
        inserted.push_back(bp);
        return {};
    }
    Result<> remove_breakpoint(const target::Breakpoint& bp) override {
        std::erase(inserted, bp);
        return {};
    }
    const std::vector<target::Breakpoint>& inserted_breakpoints() const override {
        return inserted;
    }
    int vcpu_count() const override { return 1; }
    int current_vcpu() const override { return 0; }
    Result<> select_vcpu(int index) override {
        return index == 0 ? Result<>{} : fail("no vCPU {}", index);
    }
    Result<std::string> monitor(std::string_view command) override {
        return fmt::format("ran {}\r\n", command);
    }
    Result<> detach() override {
        inserted.clear();
        detached = true;
        return {};
    }
};

class DebuggerSessionTest : public ::testing::Test {
protected:
    DebuggerSessionTest() {
        locations.add(std::make_unique<AddressExpressionResolver>(target));
        // "call 0x..." then "push r14": the bytes at start_kernel in the 6.1 kernel.
        const std::uint8_t code[] = {0xe8, 0xfa, 0xe7, 0x01, 0xfe, 0x41, 0x56};
        for (std::size_t i = 0; i < sizeof code; ++i)
            target.poke(0xffffffff81000000u + i, code[i]);
        const char text[] = "Linux version 6.1";
        for (std::size_t i = 0; i < sizeof text; ++i)
            target.poke(0x1000 + i, static_cast<std::uint8_t>(text[i]));
        for (std::uint64_t i = 0; i < 32; ++i)
            target.poke(0xffffffff82003f50u + i, static_cast<std::uint8_t>(i));
    }

    // Runs one command and returns what it printed.
    std::string run(const std::string& line, bool expect_ok = true) {
        char* buffer = nullptr;
        std::size_t size = 0;
        std::FILE* out = open_memstream(&buffer, &size);
        DebuggerSession session(target, locations, out);
        auto ok = session.execute(line);
        EXPECT_EQ(static_cast<bool>(ok), expect_ok)
            << line << ": " << (ok ? "" : ok.error().message);
        std::fclose(out);
        std::string text(buffer, size);
        std::free(buffer);
        return text;
    }

    MemoryTarget target;
    Locations locations;
};

TEST_F(DebuggerSessionTest, InfoRegisters) {
    // GDB's natural format follows the register's type: pointers in hex.
    auto out = run("info registers rip $rsp efer");
    EXPECT_EQ(out, "rip            0xffffffff81000000  0xffffffff81000000\n"
                   "rsp            0xffffffff82003f50  0xffffffff82003f50\n"
                   "efer           0x500               1280\n");
    EXPECT_EQ(run("i r xmm0"), "xmm0           0x11111111111111111111111111111111\n");
    run("info registers nosuch", false);
}

TEST_F(DebuggerSessionTest, InfoRegistersNamesCodeAddressesAsGdbDoes) {
    char* buffer = nullptr;
    std::size_t size = 0;
    std::FILE* out = open_memstream(&buffer, &size);
    DebuggerSession session(target, locations, out);
    session.set_code_labeler([](std::uint64_t address) {
        return address == 0xffffffff81000000u ? std::string("start_kernel") : std::string();
    });
    ASSERT_TRUE(session.execute("info registers rip"));
    target.values["rip"] += 4;
    session.set_code_labeler([](std::uint64_t) { return std::string("x\033[2J+4"); });
    ASSERT_TRUE(session.execute("info registers rip"));
    std::fclose(out);
    EXPECT_EQ(std::string(buffer, size),
              "rip            0xffffffff81000000  0xffffffff81000000 <start_kernel>\n"
              "rip            0xffffffff81000004  0xffffffff81000004 <x\\033[2J+4>\n");
    std::free(buffer);
}

TEST_F(DebuggerSessionTest, SchedulerLockingIsTheTargetsChoice) {
    EXPECT_EQ(run("show scheduler-locking"),
              "Mode for locking scheduler during execution is \"off\".\n");
    run("set scheduler-locking off");
    run("set scheduler-locking step", false); // this target cannot keep the others stopped
    run("set scheduler-locking sometimes", false);
}

TEST_F(DebuggerSessionTest, ExamineFormats) {
    EXPECT_EQ(run("x/2gx $rsp"), "0xffffffff82003f50:\t0x0706050403020100\t0x0f0e0d0c0b0a0908\n");
    EXPECT_EQ(run("x/4bx $rsp+1"), "0xffffffff82003f51:\t0x01\t0x02\t0x03\t0x04\n");
    EXPECT_EQ(run("x/2hd 0xffffffff82003f50"), "0xffffffff82003f50:\t256\t770\n");
    EXPECT_EQ(run("x/s 0x1000"), "0x1000:\t\"Linux version 6.1\"\n");
    EXPECT_EQ(run("x/2i $rip"), "0xffffffff81000000:\tcall 0xffffffff7f01e7ff\n"
                                "0xffffffff81000005:\tpush r14\n");
    run("x/4x 0x5000", false);
    run("x/4q $rsp", false);
    run("x", false);
}

TEST_F(DebuggerSessionTest, ExamineFormatParsing) {
    auto format = parse_examine_format("/10gx");
    ASSERT_TRUE(format);
    EXPECT_EQ(format->count, 10u);
    EXPECT_EQ(format->unit, 8u);
    EXPECT_EQ(format->format, 'x');
    auto strings = parse_examine_format("/3s");
    ASSERT_TRUE(strings);
    EXPECT_EQ(strings->unit, 1u);
    EXPECT_FALSE(parse_examine_format("/0x"));
    EXPECT_FALSE(parse_examine_format("4x"));
    EXPECT_FALSE(parse_examine_format("/9999999999g"));
}

TEST_F(DebuggerSessionTest, BreakpointsAreNumberedListedAndDeleted) {
    char* buffer = nullptr;
    std::size_t size = 0;
    std::FILE* out = open_memstream(&buffer, &size);
    DebuggerSession session(target, locations, out);
    EXPECT_TRUE(session.execute("break *0xffffffff81000000"));
    EXPECT_TRUE(session.execute("hbreak *$rip+5"));
    EXPECT_TRUE(session.execute("watch *0x1000 4"));
    EXPECT_TRUE(session.execute("awatch 0x2000"));
    EXPECT_FALSE(session.execute("watch *0x1000 4"));    // already there
    EXPECT_FALSE(session.execute("watch *0x1000 3"));    // not a hardware size
    EXPECT_FALSE(session.execute("break start_kernel")); // no symbols yet
    ASSERT_EQ(target.inserted.size(), 4u);
    EXPECT_EQ(target.inserted[1],
              (target::Breakpoint{target::BreakpointKind::hardware, 0xffffffff81000005u, 1}));
    EXPECT_EQ(target.inserted[2],
              (target::Breakpoint{target::BreakpointKind::write_watch, 0x1000, 4}));
    EXPECT_EQ(target.inserted[3].length, 8u);
    EXPECT_TRUE(session.execute("info breakpoints"));
    EXPECT_TRUE(session.execute("delete 1 3"));
    EXPECT_FALSE(session.execute("delete 1"));
    EXPECT_EQ(target.inserted.size(), 2u);
    EXPECT_TRUE(session.execute("monitor info status"));
    EXPECT_TRUE(session.execute("quit"));
    EXPECT_TRUE(session.finished());
    EXPECT_TRUE(target.detached);
    std::fclose(out);
    std::string text(buffer, size);
    std::free(buffer);
    EXPECT_NE(text.find("Breakpoint 1 at 0xffffffff81000000"), std::string::npos) << text;
    EXPECT_NE(text.find("Hw breakpoint 2 at 0xffffffff81000005"), std::string::npos) << text;
    EXPECT_NE(text.find("3   watchpoint      0x0000000000001000  4 bytes"), std::string::npos)
        << text;
    EXPECT_NE(text.find("ran info status\n"), std::string::npos) << text;
}

TEST_F(DebuggerSessionTest, UnknownCommand) {
    run("frobnicate", false);
    EXPECT_EQ(run(""), "");
}

} // namespace
} // namespace kdive::cli
