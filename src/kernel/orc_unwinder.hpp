// The ORC unwinder: follows .orc_unwind entries through call frames, pt_regs and stack switches.
#pragma once

#include "kernel/orc_table.hpp"
#include "kernel/stack_unwinder.hpp"
#include "kernel/unwind_environment.hpp"

#include <memory>

namespace kdive::kernel {

// Where ORC entries come from (vmlinux's table, modules' tables in memory, or a test's).
class OrcSource {
public:
    virtual ~OrcSource() = default;
    // The entry covering `ip`; nullopt when no table covers it; an error when a table
    // exists but cannot be read.
    virtual Result<std::optional<OrcEntry>> find(std::uint64_t ip) = 0;
    virtual void invalidate() {}
};

// How ORC_REG_SP_INDIRECT reads the previous sp: *(sp + offset) until 5.11, *(sp) + offset
// since 5.12 (commit "x86/unwind/orc: Change REG_SP_INDIRECT", for the IRQ stack switch).
enum class SpIndirect { offset_then_load, load_then_offset };

class OrcUnwinder final : public StackUnwinder {
public:
    OrcUnwinder(UnwindEnvironment env, std::unique_ptr<OrcSource> source, SpIndirect sp_indirect)
        : window_(env.memory), env_(through_window(std::move(env), window_)),
          source_(std::move(source)), sp_indirect_(sp_indirect) {}

    Result<Backtrace> unwind(const RegisterSet& start, std::size_t max_frames = 64) override;
    void preload(std::uint64_t address, std::vector<std::byte> bytes) override {
        window_.add(address, std::move(bytes));
    }
    std::string_view method() const override { return "orc"; }
    void invalidate() override {
        window_.clear();
        source_->invalidate();
    }

private:
    Result<UnwindStep> step(const UnwoundFrame& current, bool exact_pc);
    Result<std::uint64_t> previous_sp(const OrcEntry& entry, const UnwoundFrame& current);

    StackWindowMemory window_; // before env_, which reads through it
    UnwindEnvironment env_;
    std::unique_ptr<OrcSource> source_;
    SpIndirect sp_indirect_;
};

} // namespace kdive::kernel
