// The arm64 unwinder: the kernel always keeps frame records ([x29] = the caller's x29,
// [x29 + 8] = the return address), and entry code links an exception's pt_regs into the
// chain (a record holding the interrupted x29 and pc; from 6.13 a zero record whose metadata
// word says "pt_regs").
#pragma once

#include "kernel/stack_unwinder.hpp"
#include "kernel/unwind_environment.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <utility>
#include <vector>

namespace kdive::kernel {

// How far a function has set up its frame record at a pc: not at all (its entry, a leaf, or
// after the epilogue's ldp), the record stored but x29 not yet pointing at it, or done.
struct FrameRecordSetup {
    enum class State { none, stored, established } state = State::established;
    std::uint64_t allocated = 0; // bytes the prologue took off sp so far
};

// Decodes the instructions of `code` (a function's start) before `pc_offset`, looking for
// `stp x29, x30, [sp, #-N]!` or `sub sp, sp, #N` with `stp x29, x30, [sp, #M]`, then
// `mov x29, sp` / `add x29, sp, #M`; other instructions (hints, ftrace's nops, whatever the
// compiler schedules among them) are passed over. No record store means a leaf.
FrameRecordSetup frame_record_setup(std::span<const std::byte> code, std::size_t pc_offset);
// `ret` or `retaa` at the start of `code`: the epilogue has restored x29 and x30.
bool is_return_instruction(std::span<const std::byte> code);

// An exception vector table: 16 entry slots of 128 bytes.
constexpr std::uint64_t vector_table_size = 0x800;
constexpr std::uint64_t vector_slot_size = 0x80;

// Where the 6.13+ metadata record says what kind of frame it ends (FRAME_META_TYPE_*).
struct FrameRecordFacts {
    std::uint64_t entry_text_start = 0; // __entry_text_start/_end: exception entry code
    std::uint64_t entry_text_end = 0;
    bool has_meta = false; // struct frame_record_meta: a zero record with a type after it
    std::uint32_t meta_type_offset = 16;
    // Exception vector tables (`vectors`, `__bp_harden_el1_vectors`' copies): 2 KiB each, 16
    // entry slots of 128 bytes. A CPU stopped in one (a dump taken as it entered an exception)
    // is in its slot's code alone; the slots before it are other entries.
    std::vector<std::uint64_t> vector_tables;
};

class FrameRecordUnwinder final : public StackUnwinder {
public:
    FrameRecordUnwinder(UnwindEnvironment env, FrameRecordFacts facts)
        : window_(env.memory), env_(through_window(std::move(env), window_)),
          facts_(std::move(facts)) {}

    Result<Backtrace> unwind(const RegisterSet& start, std::size_t max_frames = 64) override;
    void preload(std::uint64_t address, std::vector<std::byte> bytes) override {
        window_.add(address, std::move(bytes));
    }
    std::string_view method() const override { return "frame-record"; }
    void invalidate() override { window_.clear(); }

private:
    // Prologues are a few instructions: the scan looks no further.
    static constexpr std::uint64_t max_prologue = 64;
    Result<UnwindStep> step(const UnwoundFrame& current, bool exact_pc);
    // Where the code that runs to `pc` starts: its function, or its exception vector slot.
    std::optional<std::uint64_t> code_start(std::uint64_t pc) const;
    Result<UnwindStep> from_link_register(const UnwoundFrame& current,
                                          const FrameRecordSetup& setup);
    Result<UnwindStep> from_pt_regs(std::uint64_t record);

    StackWindowMemory window_; // before env_, which reads through it
    UnwindEnvironment env_;
    FrameRecordFacts facts_;
};

} // namespace kdive::kernel
