// Follows the rbp chain: [rbp] is the caller's rbp, [rbp+8] the return address. Entry code
// marks a pt_regs frame by storing its address with the low bit set (ENCODE_FRAME_POINTER).
#include "kernel/frame_pointer_unwinder.hpp"

namespace kdive::kernel {

Result<Backtrace> FramePointerUnwinder::unwind(const RegisterSet& start, std::size_t max_frames) {
    auto trace = walk_frames(env_, start, max_frames,
                             [this](const UnwoundFrame& current, bool) { return step(current); });
    // Stack contents are only trusted for one unwind: the guest may run between two.
    window_.clear();
    return trace;
}

Result<UnwindStep> FramePointerUnwinder::step(const UnwoundFrame& current) {
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
    if (bp <= current.sp - 8 && current.level > 0) {
        return fail("frame pointer {:#x} lies below the stack pointer {:#x}", bp, current.sp);
    }
    auto saved = env_.memory->read(bp, 16);
    if (!saved) {
        return fail("cannot read the frame at rbp {:#x}", bp);
    }
    auto word = [&](std::size_t index) {
        std::uint64_t value = 0;
        for (std::size_t i = 0; i < 8; ++i) {
            value |= std::to_integer<std::uint64_t>((*saved)[index * 8 + i]) << (8 * i);
        }
        return value;
    };
    next.regs[reg_rbp] = word(0);
    next.pc = word(1);
    next.sp = bp + 16;
    out.frame = next;
    return out;
}

} // namespace kdive::kernel
