// The frame-pointer unwinder for kernels built without ORC (CONFIG_UNWINDER_FRAME_POINTER).
#pragma once

#include "kernel/stack_unwinder.hpp"
#include "kernel/unwind_environment.hpp"

namespace kdive::kernel {

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
    Result<UnwindStep> step(const UnwoundFrame& current);

    StackWindowMemory window_; // before env_, which reads through it
    UnwindEnvironment env_;
};

} // namespace kdive::kernel
