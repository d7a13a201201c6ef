// ORC and frame-pointer unwinding over synthetic stacks: entry layouts, pt_regs, stack
// switches, and corrupt stacks that must end with a reason instead of looping.
#include "kernel/frame_pointer_unwinder.hpp"
#include "kernel/orc_table.hpp"
#include "kernel/orc_unwinder.hpp"
#include "region_memory.hpp"

#include <array>
#include <gtest/gtest.h>
#include <map>

namespace kdive::kernel {
// Named rather than anonymous: a unity build compiles this file with its siblings.
namespace stack_unwinder_test {

using testing::RegionMemory;

constexpr std::uint64_t stack_base = 0xffffc90000010000ull; // a 16 KiB task stack
constexpr std::uint64_t irq_base = 0xffffc90000100000ull;   // a 16 KiB IRQ stack
constexpr std::uint64_t code_low = 0xffffffff81000000ull;
constexpr std::uint64_t code_high = 0xffffffff82000000ull;
constexpr std::uint64_t fn_a = code_low + 0x1000;
constexpr std::uint64_t fn_b = code_low + 0x2000;
constexpr std::uint64_t fn_c = code_low + 0x3000;
constexpr std::uint64_t fn_d = code_low + 0x4000;

OrcEntry entry(OrcRegister sp_reg, std::int16_t sp_offset, OrcType type,
               OrcRegister bp_reg = OrcRegister::undefined, std::int16_t bp_offset = 0) {
    OrcEntry out;
    out.sp_reg = static_cast<std::uint8_t>(sp_reg);
    out.sp_offset = sp_offset;
    out.bp_reg = static_cast<std::uint8_t>(bp_reg);
    out.bp_offset = bp_offset;
    out.type = type;
    return out;
}

// Entries by function start; each function is 0x1000 bytes long.
class FakeOrc final : public OrcSource {
public:
    explicit FakeOrc(std::map<std::uint64_t, OrcEntry> entries) : entries_(std::move(entries)) {}
    Result<std::optional<OrcEntry>> find(std::uint64_t ip) override {
        ++lookups;
        auto found = entries_.upper_bound(ip);
        if (found == entries_.begin()) {
            return std::optional<OrcEntry>{};
        }
        --found;
        if (ip >= found->first + 0x1000) {
            return std::optional<OrcEntry>{};
        }
        return std::optional<OrcEntry>(found->second);
    }
    int lookups = 0;

private:
    std::map<std::uint64_t, OrcEntry> entries_;
};

struct Fixture {
    RegionMemory memory;
    UnwindEnvironment env;
    Fixture() {
        memory.region(stack_base, 16384);
        memory.region(irq_base, 16384);
        env.memory = &memory;
        env.is_code = [](std::uint64_t pc) { return pc >= code_low && pc < code_high; };
    }
    OrcUnwinder orc(std::map<std::uint64_t, OrcEntry> entries,
                    SpIndirect sp_indirect = SpIndirect::load_then_offset) {
        return OrcUnwinder(env, std::make_unique<FakeOrc>(std::move(entries)), sp_indirect);
    }
};

RegisterSet start(std::uint64_t pc, std::uint64_t sp, std::optional<std::uint64_t> bp = {}) {
    RegisterSet regs;
    regs.regs[reg_rip] = pc;
    regs.regs[reg_rsp] = sp;
    regs.regs[reg_rbp] = bp;
    return regs;
}

std::array<std::byte, 6> raw_entry(std::int16_t sp, std::int16_t bp, std::uint8_t regs,
                                   std::uint8_t flags) {
    const auto u = [](int v) { return static_cast<std::byte>(v & 0xff); };
    return {u(sp), u(sp >> 8), u(bp), u(bp >> 8), u(regs), u(flags)};
}

TEST(OrcEntry, DecodesTheLayoutWithAnEndBit) {
    // sp_reg SP (5), bp_reg PREV_SP (1), type REGS (1).
    auto regs = raw_entry(16, -16, 0x15, 0x01);
    OrcEntry decoded = decode_orc_entry(std::span<const std::byte, 6>(regs), OrcFormat::end_bit);
    EXPECT_EQ(decoded.sp_offset, 16);
    EXPECT_EQ(decoded.bp_offset, -16);
    EXPECT_EQ(decoded.sp_reg, 5);
    EXPECT_EQ(decoded.bp_reg, 1);
    EXPECT_EQ(decoded.type, OrcType::regs);
    EXPECT_TRUE(decoded.signal);
    auto end = raw_entry(0, 0, 0x00, 0x04);
    EXPECT_EQ(decode_orc_entry(std::span<const std::byte, 6>(end), OrcFormat::end_bit).type,
              OrcType::end_of_stack);
    auto weak = raw_entry(0, 0, 0x00, 0x00);
    EXPECT_EQ(decode_orc_entry(std::span<const std::byte, 6>(weak), OrcFormat::end_bit).type,
              OrcType::undefined);
    auto call = raw_entry(8, 0, 0x05, 0x00);
    OrcEntry decoded_call =
        decode_orc_entry(std::span<const std::byte, 6>(call), OrcFormat::end_bit);
    EXPECT_EQ(decoded_call.type, OrcType::call);
    EXPECT_FALSE(decoded_call.signal);
}

TEST(OrcEntry, DecodesTheLayoutWithASignalBit) {
    auto call = raw_entry(8, 0, 0x05, 0x02);
    EXPECT_EQ(decode_orc_entry(std::span<const std::byte, 6>(call), OrcFormat::signal_bit).type,
              OrcType::call);
    auto regs = raw_entry(0, 0, 0x05, 0x0b); // REGS (3) with the signal bit
    OrcEntry decoded = decode_orc_entry(std::span<const std::byte, 6>(regs), OrcFormat::signal_bit);
    EXPECT_EQ(decoded.type, OrcType::regs);
    EXPECT_TRUE(decoded.signal);
    auto partial = raw_entry(0, 0, 0x05, 0x04);
    EXPECT_EQ(decode_orc_entry(std::span<const std::byte, 6>(partial), OrcFormat::signal_bit).type,
              OrcType::regs_partial);
    auto end = raw_entry(0, 0, 0x00, 0x01);
    EXPECT_EQ(decode_orc_entry(std::span<const std::byte, 6>(end), OrcFormat::signal_bit).type,
              OrcType::end_of_stack);
    // An entry written with 2 type bits reads differently with 3: the layout matters.
    EXPECT_NE(decode_orc_entry(std::span<const std::byte, 6>(call), OrcFormat::end_bit).type,
              OrcType::call);
}

TEST(OrcEntry, GuessesTheLayoutFromTheEntries) {
    std::vector<std::byte> old_entries;
    std::vector<std::byte> new_entries;
    for (int i = 0; i < 10; ++i) {
        auto o = raw_entry(8, 0, 0x05, 0x00);
        auto n = raw_entry(8, 0, 0x05, 0x02);
        old_entries.insert(old_entries.end(), o.begin(), o.end());
        new_entries.insert(new_entries.end(), n.begin(), n.end());
    }
    EXPECT_EQ(guess_orc_format(old_entries), OrcFormat::end_bit);
    EXPECT_EQ(guess_orc_format(new_entries), OrcFormat::signal_bit);
}

TEST(OrcEntry, RecognisesTheRegisterNumberingFromFunctionEntries) {
    std::vector<std::byte> classic;
    std::vector<std::byte> renumbered;
    for (int i = 0; i < 10; ++i) {
        auto c = raw_entry(8, 0, 0x05, 0x02);    // SP + 8 with SP = 5
        auto r = raw_entry(8, 0, 0x03, 0x02);    // SP + 8 with SP = 3
        auto p = raw_entry(16, -16, 0x83, 0x02); // after push %rbp: PREV_SP = 8
        classic.insert(classic.end(), c.begin(), c.end());
        renumbered.insert(renumbered.end(), r.begin(), r.end());
        renumbered.insert(renumbered.end(), p.begin(), p.end());
    }
    EXPECT_EQ(detect_orc_registers(classic, OrcFormat::signal_bit), classic_orc_registers());
    const OrcRegisterMap map = detect_orc_registers(renumbered, OrcFormat::signal_bit);
    EXPECT_EQ(map[3], static_cast<std::uint8_t>(OrcRegister::sp));
    EXPECT_EQ(map[8], static_cast<std::uint8_t>(OrcRegister::prev_sp));
    EXPECT_EQ(map[4], static_cast<std::uint8_t>(OrcRegister::bp));
    EXPECT_EQ(map[1], orc_register_unknown);

    const std::uint64_t table = 0xffffffff82000000ull;
    std::vector<std::byte> ips;
    for (int i = 0; i < 20; ++i) {
        const std::int32_t relative = static_cast<std::int32_t>(0x100 * i - 4 * i);
        const auto* bytes = reinterpret_cast<const std::byte*>(&relative);
        ips.insert(ips.end(), bytes, bytes + 4);
    }
    auto built = OrcTable::build(ips, table, renumbered, OrcFormat::signal_bit, map);
    ASSERT_TRUE(built) << built.error().message;
    const auto pushed = built->find(table + 0x100);
    ASSERT_TRUE(pushed);
    EXPECT_EQ(pushed->sp_reg, static_cast<std::uint8_t>(OrcRegister::sp));
    EXPECT_EQ(pushed->bp_reg, static_cast<std::uint8_t>(OrcRegister::prev_sp));
}

TEST(OrcTable, RelativeIpsSortedWithWeakTerminatorsFirst) {
    const std::uint64_t table = 0xffffffff82000000ull;
    // Slot i holds target - (table + 4 i); unsorted, with a weak terminator at 0x1100 placed
    // after the real entry at the same ip.
    const std::array<std::uint64_t, 4> ips = {fn_b, fn_a, fn_a + 0x100, fn_a + 0x100};
    std::vector<std::byte> ip_bytes;
    std::vector<std::byte> entries;
    const std::array<std::array<std::byte, 6>, 4> raw = {
        raw_entry(24, 0, 0x05, 0x02), raw_entry(8, 0, 0x05, 0x02), raw_entry(16, 0, 0x05, 0x02),
        raw_entry(0, 0, 0x00, 0x00)};
    for (std::size_t i = 0; i < ips.size(); ++i) {
        const auto relative = static_cast<std::int32_t>(static_cast<std::int64_t>(ips[i]) -
                                                        static_cast<std::int64_t>(table + 4 * i));
        const auto* p = reinterpret_cast<const std::byte*>(&relative);
        ip_bytes.insert(ip_bytes.end(), p, p + 4);
        entries.insert(entries.end(), raw[i].begin(), raw[i].end());
    }
    auto built = OrcTable::build(ip_bytes, table, entries, OrcFormat::signal_bit);
    ASSERT_TRUE(built) << built.error().message;
    EXPECT_FALSE(built->find(fn_a - 1));
    EXPECT_EQ(built->find(fn_a)->sp_offset, 8);
    EXPECT_EQ(built->find(fn_a + 0x150)->sp_offset, 16); // the real entry, not the terminator
    EXPECT_EQ(built->find(fn_b + 0x10)->sp_offset, 24);

    EXPECT_FALSE(
        OrcTable::build(std::span(ip_bytes).first(12), table, entries, OrcFormat::signal_bit));
}

TEST(OrcUnwinder, CallFramesPtRegsAndTheEndOfTheStack) {
    Fixture f;
    const std::uint64_t sp = stack_base + 0x1000;
    // A pushed rbp (16 bytes of frame), B nothing, C was interrupted: pt_regs on top.
    f.memory.put_value<std::uint64_t>(sp, 0x1234);           // A's saved rbp
    f.memory.put_value<std::uint64_t>(sp + 8, fn_b + 0x10);  // return into B
    f.memory.put_value<std::uint64_t>(sp + 16, fn_c + 0x20); // return into C (entry code)
    const std::uint64_t regs = sp + 24;
    f.memory.put_value<std::uint64_t>(regs + 128, fn_d + 0x30); // ip
    f.memory.put_value<std::uint64_t>(regs + 136, 0x10);        // cs: kernel
    f.memory.put_value<std::uint64_t>(regs + 152, regs + 168);  // sp
    f.memory.put_value<std::uint64_t>(regs + 32, 0x5678);       // bp
    f.memory.put_value<std::uint64_t>(regs + 40, 0xbb);         // bx
    auto unwinder =
        f.orc({{fn_a, entry(OrcRegister::sp, 16, OrcType::call, OrcRegister::prev_sp, -16)},
               {fn_b, entry(OrcRegister::sp, 8, OrcType::call)},
               {fn_c, entry(OrcRegister::sp, 0, OrcType::regs)},
               {fn_d, entry(OrcRegister::undefined, 0, OrcType::end_of_stack)}});
    auto trace = unwinder.unwind(start(fn_a + 0x40, sp, 0x9999));
    ASSERT_TRUE(trace) << trace.error().message;
    EXPECT_EQ(trace->stop_reason, "");
    ASSERT_EQ(trace->frames.size(), 4u);
    EXPECT_EQ(trace->frames[1].pc, fn_b + 0x10);
    EXPECT_EQ(trace->frames[1].sp, sp + 16);
    EXPECT_EQ(trace->frames[1].regs[reg_rbp], 0x1234u);
    EXPECT_EQ(trace->frames[2].pc, fn_c + 0x20);
    EXPECT_EQ(trace->frames[2].regs[reg_rbp], 0x1234u); // B left rbp alone
    EXPECT_FALSE(trace->frames[2].from_pt_regs);
    EXPECT_EQ(trace->frames[3].pc, fn_d + 0x30);
    EXPECT_EQ(trace->frames[3].sp, regs + 168);
    EXPECT_TRUE(trace->frames[3].from_pt_regs);
    EXPECT_EQ(trace->frames[3].regs[reg_rbp], 0x5678u);
    EXPECT_EQ(trace->frames[3].regs[reg_rbx], 0xbbu);
    EXPECT_EQ(trace->frames[3].level, 3);
}

TEST(OrcUnwinder, UserPtRegsEndTheTrace) {
    Fixture f;
    const std::uint64_t sp = stack_base + 0x3f00;
    f.memory.put_value<std::uint64_t>(sp + 128, 0x401000); // user ip
    f.memory.put_value<std::uint64_t>(sp + 136, 0x33);     // user cs
    auto unwinder = f.orc({{fn_a, entry(OrcRegister::sp, 0, OrcType::regs)}});
    auto trace = unwinder.unwind(start(fn_a + 4, sp));
    ASSERT_TRUE(trace);
    EXPECT_EQ(trace->stop_reason, "");
    EXPECT_EQ(trace->frames.size(), 1u);
}

TEST(OrcUnwinder, ReturnAddressesAreLookedUpOneByteBack) {
    Fixture f;
    const std::uint64_t sp = stack_base + 0x1000;
    // A calls a noreturn function as its last instruction: the return address is B's start.
    f.memory.put_value<std::uint64_t>(sp, fn_b);
    f.memory.put_value<std::uint64_t>(sp + 16, fn_c + 0x10);
    auto unwinder = f.orc({{fn_a, entry(OrcRegister::sp, 8, OrcType::call)},
                           {fn_a + 0x800, entry(OrcRegister::sp, 16, OrcType::call)},
                           {fn_b, entry(OrcRegister::undefined, 0, OrcType::end_of_stack)},
                           {fn_c, entry(OrcRegister::undefined, 0, OrcType::end_of_stack)}});
    auto trace = unwinder.unwind(start(fn_a + 0x10, sp));
    ASSERT_TRUE(trace);
    // Frame 1 at fn_b: its entry comes from fn_b - 1 (A's second half, 16 bytes).
    ASSERT_EQ(trace->frames.size(), 3u) << trace->stop_reason;
    EXPECT_EQ(trace->frames[2].pc, fn_c + 0x10);
}

TEST(OrcUnwinder, IrqStackSwitchThroughSpIndirect) {
    Fixture f;
    const std::uint64_t task_sp = stack_base + 0x2000;
    const std::uint64_t irq_top = irq_base + 0x3ff8;
    // The word at the top of the IRQ stack links back to the task stack.
    f.memory.put_value<std::uint64_t>(irq_top, task_sp);
    f.memory.put_value<std::uint64_t>(task_sp, fn_c + 0x10); // the caller on the task stack
    f.memory.put_value<std::uint64_t>(irq_top - 8, fn_b + 4);
    auto unwinder = f.orc({{fn_a, entry(OrcRegister::sp, 8, OrcType::call)},
                           {fn_b, entry(OrcRegister::sp_indirect, 8, OrcType::call)},
                           {fn_c, entry(OrcRegister::undefined, 0, OrcType::end_of_stack)}});
    auto trace = unwinder.unwind(start(fn_a + 1, irq_top - 8));
    ASSERT_TRUE(trace) << trace.error().message;
    EXPECT_EQ(trace->stop_reason, "");
    ASSERT_EQ(trace->frames.size(), 3u);
    EXPECT_EQ(trace->frames[1].sp, irq_top);
    EXPECT_EQ(trace->frames[2].sp, task_sp + 8); // *(sp) + 8: the 5.12+ meaning
    EXPECT_EQ(trace->frames[2].pc, fn_c + 0x10);

    // Until 5.11 the offset applies before the load: *(sp + 8).
    f.memory.put_value<std::uint64_t>(irq_top + 8 - 8, task_sp + 8);
    auto old_unwinder = f.orc({{fn_a, entry(OrcRegister::sp, 8, OrcType::call)},
                               {fn_b, entry(OrcRegister::sp_indirect, 0, OrcType::call)},
                               {fn_c, entry(OrcRegister::undefined, 0, OrcType::end_of_stack)}},
                              SpIndirect::offset_then_load);
    auto old_trace = old_unwinder.unwind(start(fn_a + 1, irq_top - 8));
    ASSERT_TRUE(old_trace);
    ASSERT_EQ(old_trace->frames.size(), 3u) << old_trace->stop_reason;
    EXPECT_EQ(old_trace->frames[2].sp, task_sp + 8);
}

TEST(OrcUnwinder, ASelfReferencingFrameStopsWithAReason) {
    Fixture f;
    const std::uint64_t sp = stack_base + 0x1000;
    f.memory.put_value<std::uint64_t>(sp - 8, fn_a + 0x10);
    // sp + 0: the caller's sp equals ours, forever.
    auto unwinder = f.orc({{fn_a, entry(OrcRegister::sp, 0, OrcType::call)}});
    auto trace = unwinder.unwind(start(fn_a + 0x10, sp));
    ASSERT_TRUE(trace);
    EXPECT_EQ(trace->frames.size(), 1u);
    EXPECT_NE(trace->stop_reason.find("does not increase"), std::string::npos)
        << trace->stop_reason;
}

TEST(OrcUnwinder, StacksAreNeverReentered) {
    Fixture f;
    const std::uint64_t task_sp = stack_base + 0x2000;
    const std::uint64_t irq_sp = irq_base + 0x1000;
    // Bogus links: the task stack points back into the IRQ stack below where we left it.
    f.memory.put_value<std::uint64_t>(irq_sp, task_sp);
    f.memory.put_value<std::uint64_t>(task_sp, irq_sp - 0x100);
    f.memory.put_value<std::uint64_t>(task_sp - 8, fn_b + 1);
    f.memory.put_value<std::uint64_t>(irq_sp - 0x100 - 8, fn_b + 1);
    auto unwinder = f.orc({{fn_b, entry(OrcRegister::sp_indirect, 0, OrcType::call)}});
    auto trace = unwinder.unwind(start(fn_b + 1, irq_sp));
    ASSERT_TRUE(trace);
    EXPECT_LE(trace->frames.size(), 3u);
    EXPECT_NE(trace->stop_reason, "");
}

TEST(OrcUnwinder, BogusReturnAddressesAndMissingEntriesStop) {
    Fixture f;
    const std::uint64_t sp = stack_base + 0x1000;
    f.memory.put_value<std::uint64_t>(sp, 0xdeadbeef);
    auto unwinder = f.orc({{fn_a, entry(OrcRegister::sp, 8, OrcType::call)}});
    auto trace = unwinder.unwind(start(fn_a + 1, sp));
    ASSERT_TRUE(trace);
    EXPECT_EQ(trace->frames.size(), 1u);
    EXPECT_NE(trace->stop_reason.find("0xdeadbeef"), std::string::npos) << trace->stop_reason;

    auto no_entry = f.orc({});
    auto lost = no_entry.unwind(start(fn_a + 1, sp));
    ASSERT_TRUE(lost);
    EXPECT_NE(lost->stop_reason.find("no ORC entry"), std::string::npos) << lost->stop_reason;

    // A stack pointer off every readable page.
    auto off_stack = f.orc({{fn_a, entry(OrcRegister::sp, 8, OrcType::call)}});
    auto unreadable = off_stack.unwind(start(fn_a + 1, 0xffffc90000800000ull));
    ASSERT_TRUE(unreadable);
    EXPECT_NE(unreadable->stop_reason.find("cannot read"), std::string::npos);

    auto undefined = f.orc({{fn_a, entry(OrcRegister::undefined, 0, OrcType::undefined)}});
    auto stopped = undefined.unwind(start(fn_a + 1, sp));
    ASSERT_TRUE(stopped);
    EXPECT_NE(stopped->stop_reason.find("undefined"), std::string::npos);

    auto needs_bp = f.orc({{fn_a, entry(OrcRegister::bp, 16, OrcType::call)}});
    auto no_bp = needs_bp.unwind(start(fn_a + 1, sp));
    ASSERT_TRUE(no_bp);
    EXPECT_NE(no_bp->stop_reason.find("rbp"), std::string::npos);

    EXPECT_FALSE(needs_bp.unwind(RegisterSet{}));
}

TEST(OrcUnwinder, TheFrameLimitBoundsADeepStack) {
    Fixture f;
    const std::uint64_t sp = stack_base;
    for (std::uint64_t at = sp; at < sp + 16384; at += 8) {
        f.memory.put_value<std::uint64_t>(at, fn_a + 1);
    }
    auto unwinder = f.orc({{fn_a, entry(OrcRegister::sp, 8, OrcType::call)}});
    auto trace = unwinder.unwind(start(fn_a + 1, sp), 10);
    ASSERT_TRUE(trace);
    EXPECT_EQ(trace->frames.size(), 10u);
    EXPECT_NE(trace->stop_reason.find("10 frames"), std::string::npos);
}

TEST(StackWindowMemory, OneReadServesTheRestOfThePage) {
    RegionMemory memory;
    memory.region(stack_base, 16384);
    memory.put_value<std::uint64_t>(stack_base + 0x1010, 0x1111);
    memory.put_value<std::uint64_t>(stack_base + 0x1400, 0x2222);
    StackWindowMemory window(&memory);
    auto first = window.read(stack_base + 0x1010, 8);
    ASSERT_TRUE(first);
    const int reads = memory.reads;
    auto second = window.read(stack_base + 0x1400, 8);
    ASSERT_TRUE(second);
    EXPECT_EQ(memory.reads, reads); // served from the window
    EXPECT_EQ(std::to_integer<int>((*second)[0]), 0x22);
    // Past the window (2 KiB or the page end) the memory is read again.
    ASSERT_TRUE(window.read(stack_base + 0x1ff8, 16));
    EXPECT_GT(memory.reads, reads);
    // Unreadable memory still fails with the underlying error.
    EXPECT_FALSE(window.read(0xffffc90000900000ull, 8));
    window.clear();
    const int before_clear = memory.reads;
    ASSERT_TRUE(window.read(stack_base + 0x1400, 8));
    EXPECT_GT(memory.reads, before_clear);
}

TEST(FramePointerUnwinder, FollowsTheRbpChainToZero) {
    Fixture f;
    const std::uint64_t sp = stack_base + 0x1000;
    const std::uint64_t bp1 = sp + 0x20;
    const std::uint64_t bp2 = sp + 0x80;
    f.memory.put_value<std::uint64_t>(bp1, bp2);
    f.memory.put_value<std::uint64_t>(bp1 + 8, fn_b + 5);
    f.memory.put_value<std::uint64_t>(bp2, 0);
    f.memory.put_value<std::uint64_t>(bp2 + 8, fn_c + 7);
    FramePointerUnwinder unwinder(f.env);
    auto trace = unwinder.unwind(start(fn_a + 3, sp, bp1));
    ASSERT_TRUE(trace);
    EXPECT_EQ(trace->stop_reason, "");
    ASSERT_EQ(trace->frames.size(), 3u);
    EXPECT_EQ(trace->frames[1].pc, fn_b + 5);
    EXPECT_EQ(trace->frames[1].sp, bp1 + 16);
    EXPECT_EQ(trace->frames[2].pc, fn_c + 7);
}

TEST(FramePointerUnwinder, EncodedPtRegsAndLoops) {
    Fixture f;
    const std::uint64_t sp = stack_base + 0x1000;
    const std::uint64_t bp1 = sp + 0x20;
    const std::uint64_t regs = sp + 0x100;
    f.memory.put_value<std::uint64_t>(bp1, regs | 1);
    f.memory.put_value<std::uint64_t>(bp1 + 8, fn_b + 5);
    f.memory.put_value<std::uint64_t>(regs + 128, fn_c + 9);
    f.memory.put_value<std::uint64_t>(regs + 136, 0x10);
    f.memory.put_value<std::uint64_t>(regs + 152, regs + 168);
    FramePointerUnwinder unwinder(f.env);
    auto trace = unwinder.unwind(start(fn_a + 3, sp, bp1));
    ASSERT_TRUE(trace);
    ASSERT_GE(trace->frames.size(), 3u);
    EXPECT_TRUE(trace->frames[2].from_pt_regs);
    EXPECT_EQ(trace->frames[2].pc, fn_c + 9);

    // rbp pointing at itself.
    f.memory.put_value<std::uint64_t>(bp1, bp1);
    auto loop = unwinder.unwind(start(fn_a + 3, sp, bp1));
    ASSERT_TRUE(loop);
    EXPECT_LE(loop->frames.size(), 3u);
    EXPECT_NE(loop->stop_reason, "");
}

std::vector<std::byte> bytes(std::initializer_list<unsigned> values) {
    std::vector<std::byte> out;
    for (unsigned v : values) {
        out.push_back(static_cast<std::byte>(v));
    }
    return out;
}

TEST(FramePointerUnwinder, FromTheIrqStackBackToTheLowerTaskStack) {
    Fixture f;
    // On the IRQ stack (above the task stack in memory), a frame whose saved rbp points back
    // into the interrupted task's stack: the chain continues there.
    const std::uint64_t sp = irq_base + 0x3f00;
    const std::uint64_t irq_bp = sp + 0x20;
    const std::uint64_t task_bp = stack_base + 0x3e00;
    f.memory.put_value<std::uint64_t>(irq_bp, task_bp);
    f.memory.put_value<std::uint64_t>(irq_bp + 8, fn_b + 5);
    f.memory.put_value<std::uint64_t>(task_bp, 0);
    f.memory.put_value<std::uint64_t>(task_bp + 8, fn_c + 7);
    FramePointerUnwinder unwinder(f.env);
    auto trace = unwinder.unwind(start(fn_a + 0x40, sp, irq_bp));
    ASSERT_TRUE(trace);
    EXPECT_EQ(trace->stop_reason, "");
    ASSERT_EQ(trace->frames.size(), 3u);
    EXPECT_EQ(trace->frames[2].pc, fn_c + 7);
    EXPECT_EQ(trace->frames[2].sp, task_bp + 16);

    // Just below sp on the same stack it is corrupt.
    f.memory.put_value<std::uint64_t>(irq_bp, sp - 0x100);
    auto corrupt = unwinder.unwind(start(fn_a + 0x40, sp, irq_bp));
    ASSERT_TRUE(corrupt);
    EXPECT_NE(corrupt->stop_reason.find("below the stack pointer"), std::string::npos)
        << corrupt->stop_reason;
}

TEST(FrameSetup, DecodesThePrologueUpToThePc) {
    // endbr64; call __fentry__; push %rbp; mov %rsp,%rbp; sub $0x10,%rsp
    const auto code = bytes(
        {0xf3, 0x0f, 0x1e, 0xfa, 0xe8, 1, 2, 3, 4, 0x55, 0x48, 0x89, 0xe5, 0x48, 0x83, 0xec, 0x10});
    EXPECT_EQ(frame_setup(code, 0), FrameSetup::none);
    EXPECT_EQ(frame_setup(code, 4), FrameSetup::none);
    EXPECT_EQ(frame_setup(code, 9), FrameSetup::none);
    EXPECT_EQ(frame_setup(code, 10), FrameSetup::pushed);
    EXPECT_EQ(frame_setup(code, 13), FrameSetup::established);
    // The nop __fentry__ calls are patched to, then the prologue.
    const auto nop = bytes({0x0f, 0x1f, 0x44, 0x00, 0x00, 0x55, 0x48, 0x89, 0xe5});
    EXPECT_EQ(frame_setup(nop, 5), FrameSetup::none);
    EXPECT_EQ(frame_setup(nop, 6), FrameSetup::pushed);
    // A function that does not start with the prologue keeps to the rbp chain.
    const auto leaf = bytes({0x48, 0x8b, 0x07, 0xc3});
    EXPECT_EQ(frame_setup(leaf, 3), FrameSetup::established);
}

TEST(FramePointerUnwinder, AtAFunctionsEntryTheReturnAddressIsAtRsp) {
    Fixture f;
    f.memory.region(fn_a, 0x100);
    const auto prologue = bytes({0x55, 0x48, 0x89, 0xe5, 0xc3});
    f.memory.put(fn_a, prologue.data(), prologue.size());
    f.env.function_start = [](std::uint64_t pc) -> std::optional<std::uint64_t> {
        return pc >= fn_a && pc < fn_a + 0x100 ? std::optional(fn_a) : std::nullopt;
    };
    const std::uint64_t sp = stack_base + 0x1000;
    const std::uint64_t caller_bp = sp + 0x40;
    f.memory.put_value<std::uint64_t>(sp, fn_b + 5); // the call's return address
    f.memory.put_value<std::uint64_t>(caller_bp, 0);
    f.memory.put_value<std::uint64_t>(caller_bp + 8, fn_c + 7);
    FramePointerUnwinder unwinder(f.env);

    // On the first instruction: fn_a <- fn_b <- fn_c, not fn_a <- fn_c.
    auto entry = unwinder.unwind(start(fn_a, sp, caller_bp));
    ASSERT_TRUE(entry);
    ASSERT_EQ(entry->frames.size(), 3u) << entry->stop_reason;
    EXPECT_EQ(entry->frames[1].pc, fn_b + 5);
    EXPECT_EQ(entry->frames[1].sp, sp + 8);
    EXPECT_EQ(entry->frames[2].pc, fn_c + 7);

    // After push %rbp the caller's rbp is at [rsp], the return address above it.
    f.memory.put_value<std::uint64_t>(sp - 8, caller_bp);
    auto pushed = unwinder.unwind(start(fn_a + 1, sp - 8, 0x1234));
    ASSERT_TRUE(pushed);
    ASSERT_EQ(pushed->frames.size(), 3u) << pushed->stop_reason;
    EXPECT_EQ(pushed->frames[1].pc, fn_b + 5);
    EXPECT_EQ(pushed->frames[2].pc, fn_c + 7);

    // At the ret the frame is gone again.
    auto at_ret = unwinder.unwind(start(fn_a + 4, sp, caller_bp));
    ASSERT_TRUE(at_ret);
    ASSERT_EQ(at_ret->frames.size(), 3u) << at_ret->stop_reason;
    EXPECT_EQ(at_ret->frames[1].pc, fn_b + 5);
}

} // namespace stack_unwinder_test
} // namespace kdive::kernel
