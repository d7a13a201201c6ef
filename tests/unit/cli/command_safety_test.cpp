// Nothing escapes a debugger command: an exception becomes its error, the session keeps its
// breakpoints and still detaches, and handler output reaches the terminal escaped.
#include "cli/debugger_session.hpp"

#include <cstdio>
#include <gtest/gtest.h>
#include <new>
#include <stdexcept>

namespace kdive::cli {
// Named rather than anonymous: a unity build compiles this file with its siblings.
namespace command_safety_test {

// Only what these tests touch: breakpoints and detach; everything else fails.
class BreakpointTarget final : public target::Target {
public:
    std::vector<target::Breakpoint> inserted;
    bool detached = false;

    Result<> read_memory(std::uint64_t, std::span<std::uint8_t>) override { return fail("none"); }
    Result<> write_memory(std::uint64_t, std::span<const std::uint8_t>) override {
        return fail("none");
    }
    Result<> read_physical(std::uint64_t, std::span<std::uint8_t>) override { return fail("none"); }
    Result<> write_physical(std::uint64_t, std::span<const std::uint8_t>) override {
        return fail("none");
    }
    const std::vector<target::RegisterDescription>& registers() const override {
        return descriptions_;
    }
    Result<std::vector<std::uint8_t>> read_register_bytes(std::string_view name) override {
        return fail("no register {}", name);
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
    Result<> select_vcpu(int) override { return {}; }
    Result<std::string> monitor(std::string_view) override {
        return std::string("guest says \033[2J\xff\r\n");
    }
    Result<> detach() override {
        inserted.clear();
        detached = true;
        return {};
    }

private:
    std::vector<target::RegisterDescription> descriptions_;
};

class CommandSafetyTest : public ::testing::Test {
protected:
    CommandSafetyTest() {
        locations.add(std::make_unique<AddressExpressionResolver>(target));
        out = open_memstream(&buffer, &size);
        session = std::make_unique<DebuggerSession>(target, locations, out);
    }
    ~CommandSafetyTest() override {
        session.reset();
        std::fclose(out);
        std::free(buffer);
    }
    std::string printed() {
        std::fflush(out);
        return std::string(buffer, size);
    }

    BreakpointTarget target;
    Locations locations;
    char* buffer = nullptr;
    std::size_t size = 0;
    std::FILE* out = nullptr;
    std::unique_ptr<DebuggerSession> session;
};

bool has_raw_control(std::string_view text) {
    for (char c : text) {
        const auto b = static_cast<unsigned char>(c);
        if ((b < 0x20 && c != '\n' && c != '\t') || b == 0x7f) {
            return true;
        }
    }
    return false;
}

TEST_F(CommandSafetyTest, AThrowingCommandFailsAloneAndDetachStillRemovesBreakpoints) {
    session->add_handler([](std::string_view line) -> std::optional<Result<std::string>> {
        if (line == "boom") {
            throw std::runtime_error("a bug in a command");
        }
        if (line == "oom") {
            throw std::bad_alloc();
        }
        if (line == "odd") {
            throw 42;
        }
        return std::nullopt;
    });
    ASSERT_TRUE(session->execute("break *0xffffffff81000000"));
    ASSERT_EQ(target.inserted.size(), 1U);
    for (const char* line : {"boom", "oom", "odd"}) {
        auto ok = session->execute(line);
        ASSERT_FALSE(ok) << line;
        EXPECT_NE(ok.error().message.find("internal error"), std::string::npos)
            << ok.error().message;
    }
    EXPECT_NE(session->execute("boom").error().message.find("a bug in a command"),
              std::string::npos);
    EXPECT_FALSE(session->finished());
    EXPECT_EQ(target.inserted.size(), 1U); // still there, still tracked
    ASSERT_TRUE(session->finish());
    EXPECT_TRUE(target.detached);
    EXPECT_TRUE(target.inserted.empty());
}

TEST_F(CommandSafetyTest, HandlerOutputIsEscapedForTheTerminal) {
    session->add_handler([](std::string_view line) -> std::optional<Result<std::string>> {
        if (line == "hostile") {
            return Result<std::string>("name \033[2J\xff\x7f\nnext\tline\n");
        }
        return std::nullopt;
    });
    ASSERT_TRUE(session->execute("hostile"));
    const std::string text = printed();
    EXPECT_FALSE(has_raw_control(text)) << text;
    EXPECT_EQ(text, "name \\033[2J\\377\\177\nnext\tline\n");
}

TEST_F(CommandSafetyTest, MonitorOutputIsEscapedForTheTerminal) {
    ASSERT_TRUE(session->execute("monitor info status"));
    const std::string text = printed();
    EXPECT_FALSE(has_raw_control(text)) << text;
    EXPECT_EQ(text, "guest says \\033[2J\\377\n");
}

} // namespace command_safety_test
} // namespace kdive::cli
