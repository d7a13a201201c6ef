// What both unwinders need from the kernel: memory, pt_regs layout, code ranges, stack bounds.
#pragma once

#include "eval/memory_reader.hpp"
#include "kernel/stack_unwinder.hpp"
#include "support/error.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace kdive::kernel {

// Where each register sits in struct pt_regs (from the debug info; x86-64 defaults for tests).
struct PtRegsLayout {
    std::array<std::optional<std::uint32_t>, dwarf_register_count> offsets; // rip=ip, rsp=sp
    std::uint32_t cs = 136;                                                 // arm64: pstate
    std::uint32_t size = 168;
    // Where arm64's pt_regs holds its frame record (the entry code's link to the
    // interrupted frame); 0 on x86-64.
    std::uint32_t stackframe = 0;
    bool arm64 = false;

    static PtRegsLayout x86_64();
    static PtRegsLayout aarch64();
    std::uint32_t ip() const { return *offsets[reg_rip]; }
};

struct UnwindEnvironment {
    eval::MemoryReader* memory = nullptr;
    const arch::Architecture* arch = &arch::x86_64_architecture();
    PtRegsLayout pt_regs = PtRegsLayout::x86_64();
    // True for addresses of kernel or module code; a return address elsewhere ends the trace.
    std::function<bool(std::uint64_t)> is_code;
    // The start of the function containing a code address, where the symbols say (vmlinux).
    std::function<std::optional<std::uint64_t>(std::uint64_t)> function_start;
    // THREAD_SIZE: no frame of one stack is bigger, so a larger jump is a stack switch.
    std::uint64_t stack_size = 16384;
};

// Serves an unwind's many small stack reads from a few larger ones: each miss reads on to the
// end of its page (at most stack_window bytes), since the stub's cost is the round trip.
class StackWindowMemory final : public eval::MemoryReader {
public:
    static constexpr std::uint64_t stack_window = 2048;
    explicit StackWindowMemory(eval::MemoryReader* inner) : inner_(inner) {}
    void clear() { windows_.clear(); }
    void add(std::uint64_t address, std::vector<std::byte> bytes) {
        windows_.push_back(Window{address, std::move(bytes)});
    }
    Result<std::vector<std::byte>> read(std::uint64_t address, std::size_t length) override;
    Result<> write(std::uint64_t address, std::span<const std::byte> bytes) override {
        clear();
        return inner_->write(address, bytes);
    }

private:
    struct Window {
        std::uint64_t address = 0;
        std::vector<std::byte> bytes;
    };
    eval::MemoryReader* inner_;
    std::vector<Window> windows_;
};

// The environment with its memory read through `window`.
UnwindEnvironment through_window(UnwindEnvironment env, StackWindowMemory& window);

// A pt_regs frame as read from the stack.
struct PtRegsFrame {
    RegisterValues regs; // all of them for full pt_regs; ip, sp (and flags) for an iret frame
    bool user_mode = false;
};

// Reads pt_regs at `address`; `iret_only` reads just the hardware frame (ip, cs, flags, sp,
// ss), whose start is `address` (the pt_regs it belongs to start offsetof(ip) lower).
Result<PtRegsFrame> read_pt_regs(const UnwindEnvironment& env, std::uint64_t address,
                                 bool iret_only);
Result<std::uint64_t> read_stack_word(const UnwindEnvironment& env, std::uint64_t address);

// Keeps an unwind finite: sp grows within a stack, stacks are only left (never re-entered),
// a few stack switches at most, return addresses in code.
class FrameChain {
public:
    FrameChain(const UnwindEnvironment& env, std::size_t max_frames)
        : env_(env), max_frames_(max_frames) {}
    // Why `next` cannot follow `previous`; nullopt when it may.
    std::optional<std::string> refuse(const UnwoundFrame& previous, const UnwoundFrame& next);
    bool full(std::size_t frames) const { return frames >= max_frames_; }
    std::string full_reason() const;

private:
    struct Segment {
        std::uint64_t low = 0;
        std::uint64_t high = 0;
    };
    const UnwindEnvironment& env_;
    std::size_t max_frames_;
    std::vector<Segment> left_; // stacks already unwound out of
    std::uint64_t segment_low_ = 0;
    bool started_ = false;
};

inline constexpr int max_stack_switches = 4;

// One unwind step's outcome: the caller's frame, or none at the stack's natural end.
struct UnwindStep {
    std::optional<UnwoundFrame> frame;
    bool exact_pc = false; // the caller's pc is an interrupted instruction, not a return address
};
using StepFunction = std::function<Result<UnwindStep>(const UnwoundFrame& current, bool exact_pc)>;

// Runs `step` from `start` until the natural end, a refused frame or `max_frames`; a failed
// step ends the trace with its message as the stop reason.
Result<Backtrace> walk_frames(const UnwindEnvironment& env, const RegisterSet& start,
                              std::size_t max_frames, const StepFunction& step);
// walk_frames, then forgets the stack bytes `window` holds: stack contents are only trusted
// for one unwind, since the guest may run between two.
Result<Backtrace> walk_frames_once(const UnwindEnvironment& env, StackWindowMemory& window,
                                   const RegisterSet& start, std::size_t max_frames,
                                   const StepFunction& step);

} // namespace kdive::kernel
