// arm64 frame-record unwinding over synthetic stacks: prologue states, leaves, the entry
// code's pt_regs record (before 6.13 and with 6.13's metadata), and pointer authentication.
#include "kernel/frame_record_unwinder.hpp"
#include "region_memory.hpp"

#include <gtest/gtest.h>
#include <vector>

namespace kdive::kernel {
namespace {

using testing::RegionMemory;

constexpr std::uint64_t stack_base = 0xffff800008010000ull;
constexpr std::uint64_t code_low = 0xffff800008000000ull;
constexpr std::uint64_t code_high = 0xffff800009000000ull;
constexpr std::uint64_t fn_a = code_low + 0x1000;
constexpr std::uint64_t fn_b = code_low + 0x2000;
constexpr std::uint64_t fn_c = code_low + 0x3000;
constexpr std::uint64_t entry_code = code_low + 0x8000; // __entry_text
constexpr std::uint64_t vectors = entry_code + 0x800;   // an exception vector table in it

constexpr std::uint32_t paciasp = 0xd503233f;
constexpr std::uint32_t stp_fp_lr_pre_32 = 0xa9be7bfd; // stp x29, x30, [sp, #-32]!
constexpr std::uint32_t mov_fp_sp = 0x910003fd;        // mov x29, sp
constexpr std::uint32_t add_x0 = 0x91000400;           // add x0, x0, #1
constexpr std::uint32_t ret = 0xd65f03c0;
constexpr std::uint32_t sub_sp_64 = 0xd10103ff;    // sub sp, sp, #64
constexpr std::uint32_t stp_fp_lr_48 = 0xa9037bfd; // stp x29, x30, [sp, #48]
constexpr std::uint32_t add_fp_sp_48 = 0x9100c3fd; // add x29, sp, #48

std::vector<std::byte> code(std::initializer_list<std::uint32_t> words) {
    std::vector<std::byte> out;
    for (std::uint32_t w : words) {
        for (int i = 0; i < 4; ++i) {
            out.push_back(static_cast<std::byte>(w >> (8 * i)));
        }
    }
    return out;
}

struct Fixture {
    RegionMemory memory;
    UnwindEnvironment env;
    Fixture() {
        memory.region(stack_base, 16384);
        memory.region(fn_a, 0x100);
        env.memory = &memory;
        env.arch = &arch::aarch64_architecture();
        env.pt_regs = PtRegsLayout::aarch64();
        env.is_code = [](std::uint64_t pc) { return pc >= code_low && pc < code_high; };
        env.function_start = [](std::uint64_t pc) -> std::optional<std::uint64_t> {
            return pc >= fn_a && pc < fn_a + 0x100 ? std::optional(fn_a) : std::nullopt;
        };
    }
    void put_code(std::uint64_t at, const std::vector<std::byte>& bytes) {
        memory.put(at, bytes.data(), bytes.size());
    }
};

RegisterSet start(std::uint64_t pc, std::uint64_t sp, std::uint64_t fp,
                  std::optional<std::uint64_t> lr = {}) {
    RegisterSet regs;
    regs.arch = &arch::aarch64_architecture();
    regs.regs[32] = pc;
    regs.regs[31] = sp;
    regs.regs[29] = fp;
    regs.regs[30] = lr;
    return regs;
}

TEST(FrameRecordSetup, DecodesBothPrologueShapes) {
    using State = FrameRecordSetup::State;
    const auto pre = code({paciasp, stp_fp_lr_pre_32, mov_fp_sp, add_x0});
    EXPECT_EQ(frame_record_setup(pre, 0).state, State::none);
    EXPECT_EQ(frame_record_setup(pre, 4).state, State::none);
    EXPECT_EQ(frame_record_setup(pre, 8).state, State::stored);
    EXPECT_EQ(frame_record_setup(pre, 8).allocated, 32u);
    EXPECT_EQ(frame_record_setup(pre, 12).state, State::established);
    const auto split = code({sub_sp_64, stp_fp_lr_48, add_fp_sp_48, add_x0});
    EXPECT_EQ(frame_record_setup(split, 4).allocated, 64u);
    EXPECT_EQ(frame_record_setup(split, 4).state, State::none);
    EXPECT_EQ(frame_record_setup(split, 8).state, State::stored);
    EXPECT_EQ(frame_record_setup(split, 12).state, State::established);
    // The compiler schedules other instructions among the stores (start_kernel: an adrp
    // between paciasp and the stp).
    constexpr std::uint32_t adrp_x0 = 0x900024c0;
    const auto mixed = code(
        {0xd503201f, 0xd503201f, paciasp, adrp_x0, stp_fp_lr_pre_32, add_x0, mov_fp_sp, add_x0});
    EXPECT_EQ(frame_record_setup(mixed, 16).state, State::none);
    EXPECT_EQ(frame_record_setup(mixed, 20).state, State::stored);
    EXPECT_EQ(frame_record_setup(mixed, 28).state, State::established);
    // A leaf never stores a record: x30 is the return address throughout.
    const auto leaf = code({add_x0, add_x0, ret});
    EXPECT_EQ(frame_record_setup(leaf, 8).state, State::none);
    EXPECT_TRUE(is_return_instruction(code({ret})));
}

TEST(FrameRecordUnwinder, FollowsRecordsToTheFinalOne) {
    Fixture f;
    f.put_code(fn_a, code({stp_fp_lr_pre_32, mov_fp_sp, add_x0, add_x0, ret}));
    const std::uint64_t sp = stack_base + 0x1000;
    const std::uint64_t fp1 = sp;
    const std::uint64_t fp2 = sp + 0x40;
    const std::uint64_t fp3 = sp + 0x100;
    f.memory.put_value<std::uint64_t>(fp1, fp2);
    // A return address signed with a pointer-authentication code in bits 54:48.
    f.memory.put_value<std::uint64_t>(fp1 + 8, (fn_b + 0x14) & 0xffa5ffffffffffffull);
    f.memory.put_value<std::uint64_t>(fp2, fp3);
    f.memory.put_value<std::uint64_t>(fp2 + 8, fn_c + 0x20);
    f.memory.put_value<std::uint64_t>(fp3, 0);
    f.memory.put_value<std::uint64_t>(fp3 + 8, 0);
    FrameRecordUnwinder unwinder(f.env, {});
    auto trace = unwinder.unwind(start(fn_a + 8, sp, fp1, fn_b + 0x14));
    ASSERT_TRUE(trace);
    EXPECT_EQ(trace->stop_reason, "");
    ASSERT_EQ(trace->frames.size(), 3u);
    EXPECT_EQ(trace->frames[1].pc, fn_b + 0x14);
    EXPECT_EQ(trace->frames[2].pc, fn_c + 0x20);
}

TEST(FrameRecordUnwinder, AtTheEntryTheLinkRegisterIsTheReturnAddress) {
    Fixture f;
    f.put_code(fn_a, code({paciasp, stp_fp_lr_pre_32, mov_fp_sp, add_x0, ret}));
    const std::uint64_t sp = stack_base + 0x1000;
    const std::uint64_t caller_fp = sp + 0x40;
    f.memory.put_value<std::uint64_t>(caller_fp, 0);
    f.memory.put_value<std::uint64_t>(caller_fp + 8, fn_c + 0x20);
    FrameRecordUnwinder unwinder(f.env, {});
    for (std::uint64_t pc : {fn_a, fn_a + 4, fn_a + 16}) {
        // At the entry, after the stp (x29 still the caller's), and at the ret.
        const std::uint64_t here = pc == fn_a + 4 ? sp - 32 : sp;
        auto trace = unwinder.unwind(start(pc, here, caller_fp, fn_b + 0x14));
        ASSERT_TRUE(trace);
        ASSERT_EQ(trace->frames.size(), 3u) << trace->stop_reason << " at " << pc - fn_a;
        EXPECT_EQ(trace->frames[1].pc, fn_b + 0x14);
        EXPECT_EQ(trace->frames[2].pc, fn_c + 0x20);
    }
}

// A CPU stopped on an exception vector's first instruction (a dump of a CPU taking an
// interrupt): nothing is on the stack yet, and the slots before it are other entries, whose
// `sub sp` must not be taken for this one's.
TEST(FrameRecordUnwinder, AVectorSlotsFirstInstructionKeepsTheInterruptedStack) {
    Fixture f;
    constexpr std::uint32_t sub_sp_336 = 0xd10543ff; // sub sp, sp, #336 (PT_REGS_SIZE)
    f.memory.region(vectors, 0x800);
    for (std::uint64_t slot = 0; slot < 16; ++slot) {
        f.put_code(vectors + slot * 0x80, code({sub_sp_336, add_x0, add_x0}));
    }
    f.env.function_start = [](std::uint64_t pc) -> std::optional<std::uint64_t> {
        return pc >= vectors && pc < vectors + 0x800 ? std::optional(vectors) : std::nullopt;
    };
    const std::uint64_t sp = stack_base + 0x1000;
    const std::uint64_t fp1 = sp + 0x40; // the interrupted function's record
    f.memory.put_value<std::uint64_t>(fp1, fp1 + 0x40);
    f.memory.put_value<std::uint64_t>(fp1 + 8, fn_c + 0x20);
    f.memory.put_value<std::uint64_t>(fp1 + 0x40, 0);
    f.memory.put_value<std::uint64_t>(fp1 + 0x48, 0);
    FrameRecordFacts facts;
    facts.vector_tables = {vectors};
    FrameRecordUnwinder unwinder(f.env, facts);
    auto trace = unwinder.unwind(start(vectors + 0x280, sp, fp1, fn_b + 0x14));
    ASSERT_TRUE(trace);
    EXPECT_EQ(trace->stop_reason, "");
    ASSERT_EQ(trace->frames.size(), 3u) << trace->stop_reason;
    EXPECT_EQ(trace->frames[1].pc, fn_b + 0x14);
    EXPECT_EQ(trace->frames[1].sp, sp);
    EXPECT_EQ(trace->frames[2].pc, fn_c + 0x20);
}

TEST(FrameRecordUnwinder, EntryCodeLinksTheInterruptedFrameThroughPtRegs) {
    Fixture f;
    const std::uint64_t sp = stack_base + 0x1000;
    const std::uint64_t handler_fp = sp;
    const std::uint64_t regs = sp + 0x100; // struct pt_regs
    const std::uint64_t record = regs + f.env.pt_regs.stackframe;
    const std::uint64_t interrupted_fp = sp + 0x800;
    f.memory.put_value<std::uint64_t>(handler_fp, record);
    f.memory.put_value<std::uint64_t>(handler_fp + 8, entry_code + 0x40);
    f.memory.put_value<std::uint64_t>(regs + 29 * 8, interrupted_fp);
    f.memory.put_value<std::uint64_t>(regs + 19 * 8, 0x1919);
    f.memory.put_value<std::uint64_t>(regs + 248, sp + 0x7f0);  // sp
    f.memory.put_value<std::uint64_t>(regs + 256, fn_b + 0x30); // pc
    f.memory.put_value<std::uint64_t>(regs + 264, 0x3c5);       // EL1h
    f.memory.put_value<std::uint64_t>(record, interrupted_fp);
    f.memory.put_value<std::uint64_t>(record + 8, fn_b + 0x30);
    f.memory.put_value<std::uint64_t>(interrupted_fp, 0);
    f.memory.put_value<std::uint64_t>(interrupted_fp + 8, 0);
    FrameRecordFacts facts;
    facts.entry_text_start = entry_code;
    facts.entry_text_end = entry_code + 0x1000;
    FrameRecordUnwinder unwinder(f.env, facts);
    auto trace = unwinder.unwind(start(fn_c + 0x10, sp - 0x10, handler_fp, fn_c));
    ASSERT_TRUE(trace);
    ASSERT_EQ(trace->frames.size(), 3u) << trace->stop_reason;
    EXPECT_EQ(trace->frames[1].pc, entry_code + 0x40);
    EXPECT_EQ(trace->frames[2].pc, fn_b + 0x30);
    EXPECT_TRUE(trace->frames[2].from_pt_regs);
    EXPECT_EQ(trace->frames[2].regs[19], 0x1919u);

    // From user mode the pt_regs ends the stack.
    f.memory.put_value<std::uint64_t>(regs + 264, 0x0);
    auto user = unwinder.unwind(start(fn_c + 0x10, sp - 0x10, handler_fp, fn_c));
    ASSERT_TRUE(user);
    EXPECT_EQ(user->frames.size(), 2u);
    EXPECT_EQ(user->stop_reason, "");
}

TEST(FrameRecordUnwinder, AZeroRecordWithPtRegsMetadataContinues) {
    Fixture f;
    const std::uint64_t sp = stack_base + 0x1000;
    const std::uint64_t regs = sp + 0x100;
    const std::uint64_t record = regs + f.env.pt_regs.stackframe;
    f.memory.put_value<std::uint64_t>(sp, record);
    f.memory.put_value<std::uint64_t>(sp + 8, fn_c + 0x40);
    f.memory.put_value<std::uint64_t>(record, 0);
    f.memory.put_value<std::uint64_t>(record + 8, 0);
    f.memory.put_value<std::uint64_t>(record + 16, 2); // FRAME_META_TYPE_PT_REGS
    f.memory.put_value<std::uint64_t>(regs + 248, sp + 0x7f0);
    f.memory.put_value<std::uint64_t>(regs + 256, fn_b + 0x30);
    f.memory.put_value<std::uint64_t>(regs + 264, 0x3c5);
    FrameRecordFacts facts;
    facts.has_meta = true;
    FrameRecordUnwinder unwinder(f.env, facts);
    auto trace = unwinder.unwind(start(fn_c + 0x10, sp - 0x10, sp, fn_c));
    ASSERT_TRUE(trace);
    ASSERT_GE(trace->frames.size(), 3u) << trace->stop_reason;
    EXPECT_EQ(trace->frames[2].pc, fn_b + 0x30);
    EXPECT_TRUE(trace->frames[2].from_pt_regs);

    // FRAME_META_TYPE_FINAL: the end of the task's stack.
    f.memory.put_value<std::uint64_t>(record + 16, 1);
    auto final_record = unwinder.unwind(start(fn_c + 0x10, sp - 0x10, sp, fn_c));
    ASSERT_TRUE(final_record);
    EXPECT_EQ(final_record->frames.size(), 2u);
    EXPECT_EQ(final_record->stop_reason, "");
}

TEST(FrameRecordUnwinder, ALoopingChainEndsWithAReason) {
    Fixture f;
    const std::uint64_t sp = stack_base + 0x1000;
    f.memory.put_value<std::uint64_t>(sp + 0x20, sp + 0x20);
    f.memory.put_value<std::uint64_t>(sp + 0x28, fn_b + 4);
    FrameRecordUnwinder unwinder(f.env, {});
    auto trace = unwinder.unwind(start(fn_c + 0x10, sp, sp + 0x20, fn_c));
    ASSERT_TRUE(trace);
    EXPECT_LT(trace->frames.size(), 64u);
    EXPECT_NE(trace->stop_reason, "");
}

// A saved pc outside the kernel (corrupt or overwritten state) ends the trace there with a
// reason, although the record chain above it would still read.
TEST(FrameRecordUnwinder, APcOutsideTheKernelEndsWithAReason) {
    Fixture f;
    const std::uint64_t sp = stack_base + 0x1000;
    f.memory.put_value<std::uint64_t>(sp, sp + 0x40);
    f.memory.put_value<std::uint64_t>(sp + 8, fn_b + 4);
    FrameRecordUnwinder unwinder(f.env, {});
    auto trace = unwinder.unwind(start(0x414141414141ull, sp, sp));
    ASSERT_TRUE(trace);
    EXPECT_EQ(trace->frames.size(), 1u);
    EXPECT_NE(trace->stop_reason.find("0x414141414141"), std::string::npos) << trace->stop_reason;
}

} // namespace
} // namespace kdive::kernel
