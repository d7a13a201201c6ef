// The frame-pointer unwinder for kernels built without ORC (CONFIG_UNWINDER_FRAME_POINTER).
#pragma once

#include "kernel/stack_unwinder.hpp"
#include "kernel/unwind_environment.hpp"

namespace kdive::kernel {

class FramePointerUnwinder final : public StackUnwinder {
public:
    explicit FramePointerUnwinder(UnwindEnvironment env) : env_(std::move(env)) {}

    Result<Backtrace> unwind(const RegisterSet& start, std::size_t max_frames = 64) override;
    std::string_view method() const override { return "frame-pointer"; }
    void invalidate() override {}

private:
    Result<UnwindStep> step(const UnwoundFrame& current);

    UnwindEnvironment env_;
};

} // namespace kdive::kernel
