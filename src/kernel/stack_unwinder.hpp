// Unwinds x86-64 kernel stacks: ORC tables (vmlinux and modules), or frame pointers without ORC.
#pragma once

#include "eval/memory_reader.hpp"
#include "kernel/kernel.hpp"
#include "support/error.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace kdive::kernel {

// DWARF register numbers of x86-64 (System V psABI), the index into RegisterValues.
enum DwarfRegister : std::size_t {
    reg_rax = 0,
    reg_rdx = 1,
    reg_rcx = 2,
    reg_rbx = 3,
    reg_rsi = 4,
    reg_rdi = 5,
    reg_rbp = 6,
    reg_rsp = 7,
    reg_r8 = 8,
    reg_r9 = 9,
    reg_r10 = 10,
    reg_r11 = 11,
    reg_r12 = 12,
    reg_r13 = 13,
    reg_r14 = 14,
    reg_r15 = 15,
    reg_rip = 16,
};
// Slots for every architecture's DWARF registers (arm64: x0-x30, sp = 31, pc = 32).
inline constexpr std::size_t dwarf_register_count = arch::max_dwarf_registers;

// A register's value in one frame; nullopt when the frame does not know it.
using RegisterValues = std::array<std::optional<std::uint64_t>, dwarf_register_count>;

// GDB's name of an x86-64 DWARF register ("rax", ..., "rip").
std::string_view dwarf_register_name(std::size_t reg);
// GDB's name of a DWARF register of `arch` ("?" when it has none).
std::string_view dwarf_register_name(const arch::Architecture& arch, std::size_t reg);

// Where an unwind starts: pc and sp are required, the others help where known.
struct RegisterSet {
    RegisterValues regs;
    const arch::Architecture* arch = &arch::x86_64_architecture();

    std::optional<std::uint64_t> pc() const { return regs[arch->dwarf_pc]; }
    std::optional<std::uint64_t> sp() const { return regs[arch->dwarf_sp]; }
};

struct UnwoundFrame {
    int level = 0;
    std::uint64_t pc = 0;      // return address for callers (not minus one)
    std::uint64_t sp = 0;      // rsp value in this frame
    RegisterValues regs;       // rip/rsp always set; callee-saved ones where the unwinder knows
    bool from_pt_regs = false; // entered through an interrupt/exception/syscall frame (pt_regs)
};

struct Backtrace {
    std::vector<UnwoundFrame> frames;
    // Empty when the unwind reached the stack's natural end (user pt_regs, ret_from_fork, an
    // END_OF_STACK entry); otherwise why it stopped early ("unknown ORC entry for pc 0x...",
    // "stack pointer 0x... does not increase", "frame limit 64 reached", ...).
    std::string stop_reason;
};

class StackUnwinder {
public:
    virtual ~StackUnwinder() = default;

    // x86-64: ORC when vmlinux has .orc_unwind/.orc_unwind_ip, frame pointers otherwise;
    // arm64: frame records.
    static Result<std::unique_ptr<StackUnwinder>> create(Kernel& kernel);

    // Frames from `start` outwards, at most `max_frames`. An error only when the first frame
    // cannot be formed (no rip/rsp); anything later ends the trace with a stop_reason.
    virtual Result<Backtrace> unwind(const RegisterSet& start, std::size_t max_frames = 64) = 0;

    // "orc", "frame-pointer" or "frame-record".
    virtual std::string_view method() const = 0;

    // Drops cached module tables and stack bounds (call when the target resumed).
    virtual void invalidate() = 0;

    // Stack bytes already read (by sleeping_task_starts) that the next unwind may use instead
    // of reading them again; forgotten when that unwind ends.
    virtual void preload(std::uint64_t address, std::vector<std::byte> bytes) = 0;
};

// The selected vCPU's registers (by GDB name) as an unwind start.
Result<RegisterSet> vcpu_registers(const arch::Architecture& arch, eval::RegisterReader& registers);

// The registers a sleeping task resumes with: rsp = task->thread.sp, then the callee-saved
// registers and the return address from the `struct inactive_task_frame` at that rsp.
Result<RegisterSet> sleeping_task_registers(Kernel& kernel, std::uint64_t task);

// A sleeping task's start registers and the top of its stack (from thread.sp on, to the end
// of that page or 2 KiB) for StackUnwinder::preload.
struct SleepingTaskStart {
    RegisterSet registers;
    std::uint64_t stack_address = 0;
    std::vector<std::byte> stack;
};

// The same for many tasks in two pipelined batches of reads (thread.sp of every task, then
// every stack top) instead of round trips per task. Per task: its start, or why not.
Result<std::vector<Result<SleepingTaskStart>>>
sleeping_task_starts(Kernel& kernel, std::span<const std::uint64_t> tasks);

// THREAD_SIZE, the size (and alignment) of a task's kernel stack.
std::uint64_t thread_size(Kernel& kernel);

// The base of the task stack a vCPU in the kernel runs on when that is not the stack of its
// `current` task: between __switch_to_asm loading the next task's stack pointer and
// __switch_to updating current_task, the vCPU's registers belong to the next task while
// current_task still names the previous one (whose frame is already saved). nullopt when `sp`
// is on current's own stack or on an IRQ or exception stack.
Result<std::optional<std::uint64_t>> foreign_task_stack(Kernel& kernel, std::uint64_t current,
                                                        std::uint64_t sp);

} // namespace kdive::kernel
