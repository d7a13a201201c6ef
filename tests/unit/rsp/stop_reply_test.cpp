// Stop replies and thread ids as QEMU 7.2 sends them, plus malformed ones.
#include "rsp/stop_reply.hpp"

#include <gtest/gtest.h>

namespace kdive::rsp {
namespace {

TEST(StopReply, BreakpointWithMultiprocessThread) {
    auto stop = parse_stop_reply("T05thread:p01.02;");
    ASSERT_TRUE(stop) << stop.error().message;
    EXPECT_EQ(stop->kind, StopReply::Kind::signal);
    EXPECT_EQ(stop->signal, 5);
    ASSERT_TRUE(stop->thread);
    EXPECT_EQ(stop->thread->pid, 1);
    EXPECT_EQ(stop->thread->tid, 2);
    EXPECT_EQ(stop->watch, WatchKind::none);
}

TEST(StopReply, InterruptWithPlainThread) {
    auto stop = parse_stop_reply("T02thread:01;");
    ASSERT_TRUE(stop);
    EXPECT_EQ(stop->signal, 2);
    EXPECT_FALSE(stop->thread->pid);
    EXPECT_EQ(stop->thread->tid, 1);
}

TEST(StopReply, Watchpoints) {
    struct Case {
        const char* packet;
        WatchKind kind;
    } cases[] = {{"T05thread:01;watch:ffffffff82a079c0;", WatchKind::write},
                 {"T05thread:01;rwatch:ffffffff82a079c0;", WatchKind::read},
                 {"T05thread:01;awatch:ffffffff82a079c0;", WatchKind::access}};
    for (const auto& c : cases) {
        auto stop = parse_stop_reply(c.packet);
        ASSERT_TRUE(stop) << c.packet;
        EXPECT_EQ(stop->watch, c.kind);
        EXPECT_EQ(stop->watch_address, 0xffffffff82a079c0u);
    }
}

TEST(StopReply, ExitedAndTerminated) {
    auto exited = parse_stop_reply("W00");
    ASSERT_TRUE(exited);
    EXPECT_EQ(exited->kind, StopReply::Kind::exited);
    EXPECT_EQ(exited->exit_code, 0);
    auto with_process = parse_stop_reply("W01;process:1");
    ASSERT_TRUE(with_process);
    EXPECT_EQ(with_process->exit_code, 1);
    auto killed = parse_stop_reply("X09");
    ASSERT_TRUE(killed);
    EXPECT_EQ(killed->kind, StopReply::Kind::terminated);
    EXPECT_EQ(killed->signal, 9);
    auto plain = parse_stop_reply("S05");
    ASSERT_TRUE(plain);
    EXPECT_FALSE(plain->thread);
}

TEST(StopReply, IgnoresUnknownPairsAndRegisters) {
    auto stop = parse_stop_reply("T0510:f0ff000000000000;thread:02;swbreak:;core:1;");
    ASSERT_TRUE(stop) << stop.error().message;
    EXPECT_EQ(stop->thread->tid, 2);
    EXPECT_TRUE(stop->software_breakpoint);
}

TEST(StopReply, RejectsMalformed) {
    EXPECT_FALSE(parse_stop_reply(""));
    EXPECT_FALSE(parse_stop_reply("OK"));
    EXPECT_FALSE(parse_stop_reply("T5"));
    EXPECT_FALSE(parse_stop_reply("Tzz"));
    EXPECT_FALSE(parse_stop_reply("T05thread"));
    EXPECT_FALSE(parse_stop_reply("T05thread:zz;"));
    EXPECT_FALSE(parse_stop_reply("T05watch:nothex;"));
    EXPECT_FALSE(parse_stop_reply("S05junk"));
}

TEST(ThreadId, RoundTrips) {
    for (const char* text : {"1", "2", "-1", "0", "p1.2", "p1.-1", "pa.1f"}) {
        auto id = parse_thread_id(text);
        ASSERT_TRUE(id) << text;
        EXPECT_EQ(id->to_string(), text);
    }
    auto whole = parse_thread_id("p01");
    ASSERT_TRUE(whole);
    EXPECT_EQ(whole->tid, ThreadId::all);
    EXPECT_FALSE(parse_thread_id(""));
    EXPECT_FALSE(parse_thread_id("p.1"));
    EXPECT_FALSE(parse_thread_id("x1"));
}

TEST(StopReply, LooksLikeStopReply) {
    EXPECT_TRUE(looks_like_stop_reply("T02thread:01;"));
    EXPECT_TRUE(looks_like_stop_reply("W00"));
    EXPECT_FALSE(looks_like_stop_reply("OK"));
    EXPECT_FALSE(looks_like_stop_reply(""));
}

} // namespace
} // namespace kdive::rsp
