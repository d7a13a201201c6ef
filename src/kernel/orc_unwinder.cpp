// One ORC step: find the entry, compute the caller's sp, then its pc (return address or
// pt_regs) and its rbp, as arch/x86/kernel/unwind_orc.c defines them.
#include "kernel/orc_unwinder.hpp"

namespace kdive::kernel {

namespace {

// A call through a NULL function pointer: the return address is on top of the stack.
OrcEntry null_pc_entry() {
    OrcEntry entry;
    entry.sp_offset = 8;
    entry.sp_reg = static_cast<std::uint8_t>(OrcRegister::sp);
    entry.bp_reg = static_cast<std::uint8_t>(OrcRegister::undefined);
    entry.type = OrcType::call;
    return entry;
}

Result<std::uint64_t> known(const UnwoundFrame& frame, std::size_t reg, std::uint64_t pc) {
    if (!frame.regs[reg]) {
        return fail("the ORC entry for pc {:#x} needs {}, unknown in this frame", pc,
                    dwarf_register_name(reg));
    }
    return *frame.regs[reg];
}

} // namespace

Result<Backtrace> OrcUnwinder::unwind(const RegisterSet& start, std::size_t max_frames) {
    return walk_frames_once(
        env_, window_, start, max_frames,
        [this](const UnwoundFrame& current, bool exact_pc) { return step(current, exact_pc); });
}

Result<std::uint64_t> OrcUnwinder::previous_sp(const OrcEntry& entry, const UnwoundFrame& current) {
    const std::uint64_t pc = current.pc;
    const auto offset = static_cast<std::uint64_t>(std::int64_t{entry.sp_offset});
    switch (static_cast<OrcRegister>(entry.sp_reg)) {
    case OrcRegister::sp:
        return current.sp + offset;
    case OrcRegister::bp: {
        auto bp = known(current, reg_rbp, pc);
        if (!bp) {
            return bp;
        }
        return *bp + offset;
    }
    case OrcRegister::sp_indirect: {
        if (sp_indirect_ == SpIndirect::offset_then_load) {
            return read_stack_word(env_, current.sp + offset);
        }
        auto loaded = read_stack_word(env_, current.sp);
        if (!loaded) {
            return loaded;
        }
        return *loaded + offset;
    }
    case OrcRegister::bp_indirect: {
        auto bp = known(current, reg_rbp, pc);
        if (!bp) {
            return bp;
        }
        return read_stack_word(env_, *bp + offset);
    }
    // DRAP and entry code keep the previous sp in a register saved in pt_regs.
    case OrcRegister::r10:
        return known(current, reg_r10, pc);
    case OrcRegister::r13:
        return known(current, reg_r13, pc);
    case OrcRegister::di:
        return known(current, reg_rdi, pc);
    case OrcRegister::dx:
        return known(current, reg_rdx, pc);
    default:
        break;
    }
    return fail("unknown ORC sp register {} for pc {:#x}", entry.sp_reg, pc);
}

Result<UnwindStep> OrcUnwinder::step(const UnwoundFrame& current, bool exact_pc) {
    const std::uint64_t pc = current.pc;
    OrcEntry entry;
    if (pc == 0) {
        entry = null_pc_entry();
    } else {
        // A return address may follow a call to a noreturn function: look up the call itself.
        auto found = source_->find(exact_pc ? pc : pc - 1);
        if (!found) {
            return std::unexpected(found.error());
        }
        if (!*found) {
            return fail("no ORC entry for pc {:#x}", pc);
        }
        entry = **found;
    }
    if (entry.type == OrcType::end_of_stack) {
        return UnwindStep{};
    }
    if (entry.type == OrcType::undefined) {
        return fail("the ORC entry for pc {:#x} is undefined (type {})", pc, entry.raw_type);
    }

    auto sp = previous_sp(entry, current);
    if (!sp) {
        return std::unexpected(sp.error());
    }

    UnwoundFrame next;
    UnwindStep out;
    switch (entry.type) {
    case OrcType::call: {
        auto ret = read_stack_word(env_, *sp - 8);
        if (!ret) {
            return std::unexpected(ret.error());
        }
        next.pc = *ret;
        next.sp = *sp;
        break;
    }
    case OrcType::regs:
    case OrcType::regs_partial: {
        const bool iret_only = entry.type == OrcType::regs_partial;
        auto regs = read_pt_regs(env_, *sp, iret_only);
        if (!regs) {
            return std::unexpected(regs.error());
        }
        // Entered from user space: the kernel stack ends here.
        if (regs->user_mode) {
            return UnwindStep{};
        }
        if (iret_only) {
            // Entry code does not touch the other registers before the hardware frame.
            next.regs = current.regs;
            next.regs[reg_rip] = regs->regs[reg_rip];
            next.regs[reg_rsp] = regs->regs[reg_rsp];
        } else {
            next.regs = regs->regs;
        }
        if (!next.regs[reg_rip] || !next.regs[reg_rsp]) {
            return fail("pt_regs at {:#x} lack ip or sp", *sp);
        }
        next.pc = *next.regs[reg_rip];
        next.sp = *next.regs[reg_rsp];
        next.from_pt_regs = true;
        out.exact_pc = true;
        break;
    }
    default:
        return fail("unknown ORC entry type {} for pc {:#x}", entry.raw_type, pc);
    }
    if (entry.signal) {
        out.exact_pc = true;
    }

    switch (static_cast<OrcRegister>(entry.bp_reg)) {
    case OrcRegister::undefined:
        // Not saved by this function: the caller sees the same rbp (or pt_regs' one).
        if (entry.type != OrcType::regs) {
            next.regs[reg_rbp] = current.regs[reg_rbp];
        }
        break;
    case OrcRegister::prev_sp: {
        auto bp =
            read_stack_word(env_, *sp + static_cast<std::uint64_t>(std::int64_t{entry.bp_offset}));
        if (!bp) {
            return std::unexpected(bp.error());
        }
        next.regs[reg_rbp] = *bp;
        break;
    }
    case OrcRegister::bp: {
        auto base = known(current, reg_rbp, pc);
        if (!base) {
            return std::unexpected(base.error());
        }
        auto bp = read_stack_word(
            env_, *base + static_cast<std::uint64_t>(std::int64_t{entry.bp_offset}));
        if (!bp) {
            return std::unexpected(bp.error());
        }
        next.regs[reg_rbp] = *bp;
        break;
    }
    default:
        return fail("unknown ORC bp register {} for pc {:#x}", entry.bp_reg, pc);
    }
    out.frame = next;
    return out;
}

} // namespace kdive::kernel
