// pt_regs decoding and the sanity rules that keep every unwind finite.
#include "kernel/unwind_environment.hpp"

#include "kernel/record.hpp"

#include <algorithm>
#include <fmt/format.h>

namespace kdive::kernel {

PtRegsLayout PtRegsLayout::x86_64() {
    PtRegsLayout layout;
    auto& o = layout.offsets;
    o[reg_r15] = 0;
    o[reg_r14] = 8;
    o[reg_r13] = 16;
    o[reg_r12] = 24;
    o[reg_rbp] = 32;
    o[reg_rbx] = 40;
    o[reg_r11] = 48;
    o[reg_r10] = 56;
    o[reg_r9] = 64;
    o[reg_r8] = 72;
    o[reg_rax] = 80;
    o[reg_rcx] = 88;
    o[reg_rdx] = 96;
    o[reg_rsi] = 104;
    o[reg_rdi] = 112;
    o[reg_rip] = 128;
    o[reg_rsp] = 152;
    return layout;
}

PtRegsLayout PtRegsLayout::aarch64() {
    // struct pt_regs of 6.1: regs[31], sp, pc, pstate, orig_x0, syscallno, unused2,
    // sdei_ttbr1, pmr_save, stackframe[2], lockdep_hardirqs, exit_rcu.
    PtRegsLayout layout;
    layout.offsets = {};
    for (std::uint32_t reg = 0; reg < 31; ++reg) {
        layout.offsets[reg] = 8 * reg;
    }
    layout.offsets[31] = 248;
    layout.offsets[32] = 256;
    layout.cs = 264;
    layout.stackframe = 304;
    layout.size = 336;
    layout.arm64 = true;
    return layout;
}

Result<std::vector<std::byte>> StackWindowMemory::read(std::uint64_t address, std::size_t length) {
    for (const Window& window : windows_) {
        if (address >= window.address && length <= window.bytes.size() &&
            address - window.address <= window.bytes.size() - length) {
            const auto begin = window.bytes.begin() + static_cast<long>(address - window.address);
            return std::vector<std::byte>(begin, begin + static_cast<long>(length));
        }
    }
    constexpr std::uint64_t page = 4096;
    const std::uint64_t page_end = (address | (page - 1)) + 1;
    const std::uint64_t end = std::min(page_end, address + stack_window);
    if (page_end == 0 || end < address + length || address + length < address) {
        return inner_->read(address, length);
    }
    auto bytes = inner_->read(address, end - address);
    if (!bytes) {
        return inner_->read(address, length);
    }
    std::vector<std::byte> out(bytes->begin(), bytes->begin() + static_cast<long>(length));
    windows_.push_back(Window{address, std::move(*bytes)});
    return out;
}

UnwindEnvironment through_window(UnwindEnvironment env, StackWindowMemory& window) {
    env.memory = &window;
    return env;
}

Result<std::uint64_t> read_stack_word(const UnwindEnvironment& env, std::uint64_t address) {
    auto bytes = env.memory->read(address, 8);
    if (!bytes) {
        return fail("cannot read the stack at {:#x}", address);
    }
    return Record(std::move(*bytes), address).u64(0);
}

Result<PtRegsFrame> read_pt_regs(const UnwindEnvironment& env, std::uint64_t address,
                                 bool iret_only) {
    const PtRegsLayout& layout = env.pt_regs;
    const std::uint64_t base = iret_only ? address - layout.ip() : address;
    const std::uint64_t first = iret_only ? address : base;
    const std::uint64_t end = base + layout.size;
    auto bytes = env.memory->read(first, end - first);
    if (!bytes) {
        return fail("cannot read pt_regs at {:#x}", base);
    }
    const Record record(std::move(*bytes), first);
    PtRegsFrame frame;
    for (std::size_t reg = 0; reg < dwarf_register_count; ++reg) {
        const auto offset = layout.offsets[reg];
        if (!offset || base + *offset < first) {
            continue;
        }
        frame.regs[reg] = record.u64(base + *offset - first);
    }
    const std::uint64_t mode = record.u64(base + layout.cs - first);
    // x86-64: CS's privilege level; arm64: PSTATE.EL, EL0 being user mode.
    frame.user_mode = layout.arm64 ? ((mode >> 2) & 3) == 0 : (mode & 3) != 0;
    return frame;
}

std::string FrameChain::full_reason() const {
    return fmt::format("stopped after {} frames", max_frames_);
}

std::optional<std::string> FrameChain::refuse(const UnwoundFrame& previous,
                                              const UnwoundFrame& next) {
    if (!started_) {
        started_ = true;
        segment_low_ = previous.sp;
    }
    if (next.sp % 8 != 0) {
        return fmt::format("stack pointer {:#x} is not aligned", next.sp);
    }
    if (!env_.is_code || !env_.is_code(next.pc)) {
        return fmt::format("return address {:#x} (at sp {:#x}) is not kernel code", next.pc,
                           next.sp);
    }
    // An arm64 function that has not stored its frame record (a leaf, a prologue, a ret)
    // shares its caller's stack pointer.
    const bool shared_sp = next.sp == previous.sp && env_.arch->machine == arch::Machine::aarch64 &&
                           next.pc != previous.pc;
    const bool same_stack =
        shared_sp || (next.sp > previous.sp && next.sp - previous.sp <= env_.stack_size);
    if (same_stack) {
        return std::nullopt;
    }
    if (next.sp <= previous.sp && next.sp >= segment_low_) {
        return fmt::format("stack pointer {:#x} does not increase (previous frame at {:#x})",
                           next.sp, previous.sp);
    }
    for (const Segment& segment : left_) {
        if (next.sp >= segment.low && next.sp <= segment.high) {
            return fmt::format("stack pointer {:#x} goes back to a stack already unwound", next.sp);
        }
    }
    if (left_.size() >= max_stack_switches) {
        return fmt::format("more than {} stack switches", max_stack_switches);
    }
    left_.push_back({segment_low_, previous.sp});
    segment_low_ = next.sp;
    return std::nullopt;
}

Result<Backtrace> walk_frames(const UnwindEnvironment& env, const RegisterSet& start,
                              std::size_t max_frames, const StepFunction& step) {
    const arch::Architecture& arch = *env.arch;
    if (!start.regs[arch.dwarf_pc] || !start.regs[arch.dwarf_sp]) {
        return fail("cannot unwind: the start registers lack {} or {}", arch.pc, arch.sp);
    }
    Backtrace out;
    UnwoundFrame first;
    first.pc = *start.regs[arch.dwarf_pc];
    first.sp = *start.regs[arch.dwarf_sp];
    first.regs = start.regs;
    out.frames.push_back(first);
    FrameChain chain(env, max_frames);
    // The start registers are exact: the pc is where the CPU or task stopped.
    bool exact_pc = true;
    while (true) {
        if (chain.full(out.frames.size())) {
            out.stop_reason = chain.full_reason();
            break;
        }
        auto next = step(out.frames.back(), exact_pc);
        if (!next) {
            out.stop_reason = next.error().message;
            break;
        }
        if (!next->frame) {
            break;
        }
        if (auto why = chain.refuse(out.frames.back(), *next->frame)) {
            out.stop_reason = std::move(*why);
            break;
        }
        next->frame->level = static_cast<int>(out.frames.size());
        next->frame->regs[arch.dwarf_pc] = next->frame->pc;
        next->frame->regs[arch.dwarf_sp] = next->frame->sp;
        out.frames.push_back(*next->frame);
        exact_pc = next->exact_pc;
    }
    return out;
}

Result<Backtrace> walk_frames_once(const UnwindEnvironment& env, StackWindowMemory& window,
                                   const RegisterSet& start, std::size_t max_frames,
                                   const StepFunction& step) {
    auto trace = walk_frames(env, start, max_frames, step);
    window.clear();
    return trace;
}

} // namespace kdive::kernel
