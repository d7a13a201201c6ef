// Instruction encodings are A64's (ARM DDI 0487): the prologue forms GCC and Clang emit for
// kernels built with frame pointers.
#include "kernel/frame_record_unwinder.hpp"

#include "kernel/record.hpp"

#include <fmt/format.h>

namespace kdive::kernel {

namespace {

constexpr std::size_t reg_fp = 29;
constexpr std::size_t reg_lr = 30;
// FRAME_META_TYPE_PT_REGS in arch/arm64/include/asm/stacktrace/frame.h.
constexpr std::uint64_t meta_type_pt_regs = 2;

std::uint32_t word_at(std::span<const std::byte> code, std::size_t offset) {
    std::uint32_t word = 0;
    for (std::size_t i = 0; i < 4; ++i) {
        word |= std::to_integer<std::uint32_t>(code[offset + i]) << (8 * i);
    }
    return word;
}

bool is_ret(std::uint32_t word) {
    return word == 0xd65f03c0 || word == 0xd65f0bff /* retaa */;
}

// stp x29, x30, [sp, #imm]! (pre-index): the bytes taken off sp, or 0 when not that.
std::uint64_t stp_record_pre_index(std::uint32_t word) {
    if ((word & 0xffc07fff) != 0xa9807bfd) {
        return 0;
    }
    const auto imm7 = static_cast<std::int64_t>((word >> 15) & 0x7f) - ((word >> 21 & 1) << 7);
    return imm7 < 0 ? static_cast<std::uint64_t>(-imm7 * 8) : 0;
}

bool is_stp_record_offset(std::uint32_t word) {
    return (word & 0xffc07fff) == 0xa9007bfd; // stp x29, x30, [sp, #imm]
}

// sub sp, sp, #imm{, lsl #12}: the bytes, or 0.
std::uint64_t sub_sp(std::uint32_t word) {
    if ((word & 0xff8003ff) != 0xd10003ff) {
        return 0;
    }
    const std::uint64_t imm = (word >> 10) & 0xfff;
    return (word >> 22 & 1) != 0 ? imm << 12 : imm;
}

bool is_set_fp(std::uint32_t word) {
    return (word & 0xffc003ff) == 0x910003fd; // add x29, sp, #imm (mov x29, sp when 0)
}

} // namespace

FrameRecordSetup frame_record_setup(std::span<const std::byte> code, std::size_t pc_offset) {
    using State = FrameRecordSetup::State;
    FrameRecordSetup setup{State::none, 0};
    for (std::size_t at = 0; at < pc_offset && at + 4 <= code.size(); at += 4) {
        const std::uint32_t word = word_at(code, at);
        const bool recorded = setup.state != State::none;
        if (std::uint64_t taken = stp_record_pre_index(word); taken != 0 && !recorded) {
            setup = {State::stored, setup.allocated + taken};
        } else if (std::uint64_t more = sub_sp(word); more != 0 && !recorded) {
            setup.allocated += more;
        } else if (is_stp_record_offset(word) && !recorded) {
            setup.state = State::stored;
        } else if (is_set_fp(word) && recorded) {
            return {State::established, setup.allocated};
        }
        // Anything else is scheduled among the prologue's stores (an adrp, a move): the
        // record's state is what the stores so far made it.
    }
    return setup;
}

bool is_return_instruction(std::span<const std::byte> code) {
    return code.size() >= 4 && is_ret(word_at(code, 0));
}

Result<Backtrace> FrameRecordUnwinder::unwind(const RegisterSet& start, std::size_t max_frames) {
    return walk_frames_once(
        env_, window_, start, max_frames,
        [this](const UnwoundFrame& current, bool exact_pc) { return step(current, exact_pc); });
}

Result<UnwindStep> FrameRecordUnwinder::step(const UnwoundFrame& current, bool exact_pc) {
    // The record chain could go on past such a frame, but a kernel stack holding a return
    // address outside the kernel is corrupt from there on: nothing above it can be trusted.
    if (!arch::is_kernel_address(current.pc)) {
        return fail("pc {:#x} of frame #{} is not a kernel address", current.pc, current.level);
    }
    // Stopped in a prologue, an epilogue or a leaf, the function's record is not (yet, any
    // more) what x29 points at: the link register holds the return address.
    if (exact_pc && current.regs[reg_lr]) {
        const auto start = code_start(current.pc);
        if (start.has_value() && current.pc >= *start) {
            const std::uint64_t offset = current.pc - *start;
            const std::uint64_t decoded = std::min(offset, max_prologue);
            auto code = decoded > 0 ? env_.memory->read(*start, decoded)
                                    : Result<std::vector<std::byte>>(std::vector<std::byte>{});
            auto here = env_.memory->read(current.pc, 4);
            if (code && here) {
                FrameRecordSetup setup = frame_record_setup(*code, decoded);
                if (offset > max_prologue && setup.state == FrameRecordSetup::State::stored) {
                    setup.state = FrameRecordSetup::State::established;
                }
                if (is_return_instruction(*here)) {
                    setup = {FrameRecordSetup::State::none, 0}; // the epilogue's ldp ran
                }
                if (setup.state != FrameRecordSetup::State::established) {
                    return from_link_register(current, setup);
                }
            }
        }
    }
    if (!current.regs[reg_fp]) {
        return fail("x29 is unknown in frame #{}", current.level);
    }
    const std::uint64_t fp = *current.regs[reg_fp];
    if (fp == 0) {
        return UnwindStep{};
    }
    if (fp % 8 != 0) {
        return fail("frame pointer {:#x} is not aligned", fp);
    }
    // The frame whose return address is in the exception entry code: its record is the one
    // entry code built inside pt_regs.
    if (current.level > 0 && current.pc >= facts_.entry_text_start &&
        current.pc < facts_.entry_text_end && env_.pt_regs.stackframe != 0) {
        return from_pt_regs(fp);
    }
    auto saved = env_.memory->read(fp, facts_.has_meta ? facts_.meta_type_offset + 8 : 16);
    if (!saved) {
        return fail("cannot read the frame record at {:#x}", fp);
    }
    const Record record(std::move(*saved), fp);
    const std::uint64_t next_fp = record.u64(0);
    const std::uint64_t ret = record.u64(8);
    if (next_fp == 0 && ret == 0) {
        if (facts_.has_meta && record.u64(facts_.meta_type_offset) == meta_type_pt_regs &&
            env_.pt_regs.stackframe != 0) {
            return from_pt_regs(fp);
        }
        return UnwindStep{}; // the final record of a task's stack
    }
    UnwoundFrame next;
    next.regs[reg_fp] = next_fp;
    next.pc = arch::strip_pointer_auth(ret);
    next.sp = fp + 16;
    UnwindStep out;
    out.frame = next;
    return out;
}

std::optional<std::uint64_t> FrameRecordUnwinder::code_start(std::uint64_t pc) const {
    for (std::uint64_t table : facts_.vector_tables) {
        if (pc >= table && pc - table < vector_table_size) {
            return table + ((pc - table) & ~(vector_slot_size - 1));
        }
    }
    return env_.function_start ? env_.function_start(pc) : std::nullopt;
}

Result<UnwindStep> FrameRecordUnwinder::from_link_register(const UnwoundFrame& current,
                                                           const FrameRecordSetup& setup) {
    UnwoundFrame next;
    next.regs = {};
    next.regs[reg_fp] = current.regs[reg_fp]; // still the caller's
    for (std::size_t reg = 19; reg < reg_fp; ++reg) {
        next.regs[reg] = current.regs[reg]; // callee-saved, not yet spilled
    }
    next.pc = arch::strip_pointer_auth(*current.regs[reg_lr]);
    next.sp = current.sp + setup.allocated;
    UnwindStep out;
    out.frame = next;
    return out;
}

Result<UnwindStep> FrameRecordUnwinder::from_pt_regs(std::uint64_t record) {
    const std::uint64_t base = record - env_.pt_regs.stackframe;
    auto regs = read_pt_regs(env_, base, false);
    if (!regs) {
        return std::unexpected(regs.error());
    }
    // An entry from user space (or the zeroed pt_regs of a kernel thread) ends the stack.
    const auto pc = regs->regs[32];
    if (regs->user_mode || pc.value_or(0) == 0) {
        return UnwindStep{};
    }
    UnwoundFrame next;
    next.regs = regs->regs;
    next.pc = *pc;
    next.sp = regs->regs[31].value_or(0);
    next.from_pt_regs = true;
    UnwindStep out;
    out.exact_pc = true;
    out.frame = next;
    return out;
}

} // namespace kdive::kernel
