// The frame-pointer unwinder for kernels built without ORC (CONFIG_UNWINDER_FRAME_POINTER).
#pragma once

#include "kernel/stack_unwinder.hpp"
#include "kernel/unwind_environment.hpp"

#include <cstddef>
#include <span>

namespace kdive::kernel {

// How far a function's frame is set up at a pc: not at all (its entry, or at a ret), rbp
// pushed, or established (push %rbp; mov %rsp,%rbp done, or a function without that prologue).
enum class FrameSetup { none, pushed, established };

// Decodes the prologue `code` (from the function's start) up to `pc_offset`: optional endbr64
// and __fentry__ call (or its nop), then push %rbp, mov %rsp,%rbp.
FrameSetup frame_setup(std::span<const std::byte> code, std::size_t pc_offset);

class FramePointerUnwinder final : public StackUnwinder {
public:
    explicit FramePointerUnwinder(UnwindEnvironment env)
        : window_(env.memory), env_(through_window(std::move(env), window_)) {}

    Result<Backtrace> unwind(const RegisterSet& start, std::size_t max_frames = 64) override;
    void preload(std::uint64_t address, std::vector<std::byte> bytes) override {
        window_.add(address, std::move(bytes));
    }
    std::string_view method() const override { return "frame-pointer"; }
    void invalidate() override { window_.clear(); }

private:
    // Prologues are a few instructions; deeper into a function the frame is set up.
    static constexpr std::uint64_t max_prologue = 16;
    Result<UnwindStep> step(const UnwoundFrame& current, bool exact_pc);
    Result<UnwindStep> step_in_prologue(const UnwoundFrame& current, FrameSetup setup);

    StackWindowMemory window_; // before env_, which reads through it
    UnwindEnvironment env_;
};

} // namespace kdive::kernel
