// Follows the rbp chain: [rbp] is the caller's rbp, [rbp+8] the return address. Entry code
// marks a pt_regs frame by storing its address with the low bit set (ENCODE_FRAME_POINTER).
#include "kernel/frame_pointer_unwinder.hpp"

#include "kernel/record.hpp"

#include <initializer_list>
#include <span>

namespace kdive::kernel {

namespace {

bool starts_with(std::span<const std::byte> code, std::initializer_list<unsigned> prefix) {
    if (code.size() < prefix.size()) {
        return false;
    }
    std::size_t i = 0;
    for (unsigned byte : prefix) {
        if (std::to_integer<unsigned>(code[i++]) != byte) {
            return false;
        }
    }
    return true;
}

} // namespace

FrameSetup frame_setup(std::span<const std::byte> code, std::size_t pc_offset) {
    FrameSetup state = FrameSetup::none;
    std::size_t at = 0;
    while (at < pc_offset) {
        const auto rest = code.subspan(std::min(at, code.size()));
        if (starts_with(rest, {0xf3, 0x0f, 0x1e, 0xfa})) { // endbr64
            at += 4;
        } else if (starts_with(rest, {0x0f, 0x1f, 0x44, 0x00, 0x00}) ||
                   (state == FrameSetup::none && starts_with(rest, {0xe8}))) {
            at += 5; // the __fentry__ call or the nop it was patched to
        } else if (state == FrameSetup::none && starts_with(rest, {0x55})) { // push %rbp
            state = FrameSetup::pushed;
            at += 1;
        } else if (state == FrameSetup::pushed &&
                   starts_with(rest, {0x48, 0x89, 0xe5})) { // mov %rsp,%rbp
            return FrameSetup::established;
        } else {
            // Code the prologue does not begin with: a function without a frame of its own
            // (a leaf), or a prologue already done.
            return state == FrameSetup::none && at == 0 ? FrameSetup::established : state;
        }
    }
    return state;
}

Result<Backtrace> FramePointerUnwinder::unwind(const RegisterSet& start, std::size_t max_frames) {
    return walk_frames_once(
        env_, window_, start, max_frames,
        [this](const UnwoundFrame& current, bool exact_pc) { return step(current, exact_pc); });
}

Result<UnwindStep> FramePointerUnwinder::step(const UnwoundFrame& current, bool exact_pc) {
    // Stopped inside a prologue (a breakpoint on a function, an interrupt on its first
    // instructions) or at a ret, the function's frame is not on the rbp chain.
    if (exact_pc) {
        const auto start = env_.function_start ? env_.function_start(current.pc) : std::nullopt;
        bool near_start = false;
        std::uint64_t from = current.pc;
        if (start.has_value() && current.pc - start.value() < max_prologue) {
            near_start = true;
            from = start.value();
        }
        if (auto code = env_.memory->read(from, current.pc - from + 1)) {
            FrameSetup setup = FrameSetup::established;
            if (std::to_integer<unsigned>(code->back()) == 0xc3) {
                setup = FrameSetup::none; // ret: rbp is the caller's again
            } else if (near_start) {
                setup = frame_setup(*code, current.pc - from);
            }
            if (setup != FrameSetup::established) {
                return step_in_prologue(current, setup);
            }
        }
    }
    if (!current.regs[reg_rbp]) {
        return fail("rbp is unknown in frame #{}", current.level);
    }
    const std::uint64_t bp = *current.regs[reg_rbp];
    if (bp == 0) {
        return UnwindStep{};
    }
    UnwindStep out;
    UnwoundFrame next;
    if ((bp & 1) != 0) {
        auto regs = read_pt_regs(env_, bp & ~std::uint64_t{1}, false);
        if (!regs) {
            return std::unexpected(regs.error());
        }
        // User entry, or the zeroed pt_regs at the bottom of a kernel thread's stack.
        if (regs->user_mode || regs->regs[reg_rip].value_or(0) == 0) {
            return UnwindStep{};
        }
        next.regs = regs->regs;
        next.pc = *next.regs[reg_rip];
        next.sp = next.regs[reg_rsp].value_or(0);
        next.from_pt_regs = true;
        out.exact_pc = true;
        out.frame = next;
        return out;
    }
    // Just below sp on the same stack is corrupt; far below is the stack an IRQ stack was
    // entered from (call_on_irqstack keeps rbp), which FrameChain judges as a switch.
    if (bp + 8 <= current.sp && current.sp - bp <= env_.stack_size && current.level > 0) {
        return fail("frame pointer {:#x} lies below the stack pointer {:#x}", bp, current.sp);
    }
    auto saved = env_.memory->read(bp, 16);
    if (!saved) {
        return fail("cannot read the frame at rbp {:#x}", bp);
    }
    const Record frame(std::move(*saved), bp);
    next.regs[reg_rbp] = frame.u64(0);
    next.pc = frame.u64(8);
    next.sp = bp + 16;
    out.frame = next;
    return out;
}

Result<UnwindStep> FramePointerUnwinder::step_in_prologue(const UnwoundFrame& current,
                                                          FrameSetup setup) {
    // none: [rsp] is the return address and rbp still the caller's; pushed: [rsp] is the
    // caller's rbp and [rsp+8] the return address.
    const std::size_t words = setup == FrameSetup::pushed ? 2 : 1;
    auto saved = env_.memory->read(current.sp, words * 8);
    if (!saved) {
        return fail("cannot read the stack at {:#x}", current.sp);
    }
    const Record top(std::move(*saved), current.sp);
    UnwoundFrame next;
    if (setup == FrameSetup::pushed) {
        next.regs[reg_rbp] = top.u64(0);
    } else {
        next.regs[reg_rbp] = current.regs[reg_rbp];
    }
    next.pc = top.u64((words - 1) * 8);
    next.sp = current.sp + words * 8;
    UnwindStep out;
    out.frame = next;
    return out;
}

} // namespace kdive::kernel
