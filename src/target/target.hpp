// The Target interface: memory, registers and run control, whatever backend serves them, and
// the stop generation every cache of its state is keyed by.
#pragma once

#include "support/error.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace kdive::target {

enum class BreakpointKind { software, hardware, write_watch, read_watch, access_watch };

std::string_view to_string(BreakpointKind kind);
inline bool is_watchpoint(BreakpointKind kind) {
    return kind != BreakpointKind::software && kind != BreakpointKind::hardware;
}

struct Breakpoint {
    BreakpointKind kind = BreakpointKind::software;
    std::uint64_t address = 0;
    std::size_t length = 1; // bytes watched; 1 for code breakpoints
    bool operator==(const Breakpoint&) const = default;
};

struct StopEvent {
    enum class Reason {
        breakpoint,  // SIGTRAP at a breakpoint or after a step
        watchpoint,  // data access; see watch_kind/watch_address
        interrupted, // stopped on request (interrupt, Ctrl-C, or a stub's own pause)
        signal,      // another signal
        exited,      // the VM is gone (QEMU quit); exit_code
    };
    Reason reason = Reason::breakpoint;
    int vcpu = 0; // index from 0
    int signal = 0;
    int exit_code = 0;
    BreakpointKind watch_kind = BreakpointKind::write_watch;
    std::uint64_t watch_address = 0;
};

struct MemoryRange {
    std::uint64_t address = 0;
    std::span<std::uint8_t> out;
};

struct RegisterDescription {
    std::string name;
    int bitsize = 0;
    std::string type;
};

class Target {
public:
    virtual ~Target() = default;

    // Virtual memory is translated by the selected vCPU's page tables.
    virtual Result<> read_memory(std::uint64_t address, std::span<std::uint8_t> out) = 0;
    virtual Result<> write_memory(std::uint64_t address, std::span<const std::uint8_t> bytes) = 0;
    // Several exact reads at once (over QEMU's stub: one round trip for all). Fails on the
    // first unreadable range, naming it.
    virtual Result<> read_memory_ranges(std::span<const MemoryRange> ranges);
    virtual Result<> read_physical(std::uint64_t address, std::span<std::uint8_t> out) = 0;
    virtual Result<> write_physical(std::uint64_t address, std::span<const std::uint8_t> bytes) = 0;

    virtual const std::vector<RegisterDescription>& registers() const = 0;
    // Little-endian bytes of one register of the selected vCPU.
    virtual Result<std::vector<std::uint8_t>> read_register_bytes(std::string_view name) = 0;
    // One register of vCPU `vcpu`, whichever is selected; the selection stays as it is.
    virtual Result<std::vector<std::uint8_t>> read_cpu_register_bytes(int vcpu,
                                                                      std::string_view name);
    // Writes one register of the selected vCPU; `bytes` must have the register's size.
    virtual Result<> write_register_bytes(std::string_view name,
                                          std::span<const std::uint8_t> bytes) {
        (void)bytes;
        return fail_as(ErrorKind::unsupported, "cannot write register {}: this target is read-only",
                       name);
    }

    // What is being debugged, for people: the backend and where memory reads come from.
    virtual std::string describe() const = 0;

    // Whether run control exists at all: a core file has memory and registers only, and its
    // run-control calls fail saying so.
    virtual bool has_execution() const { return true; }

    // Run control. Resuming runs every vCPU; step executes one instruction on the selected one
    // (whether the others run meanwhile is the backend's choice: see RspTargetOptions).
    virtual Result<> resume() = 0;
    virtual Result<> step() = 0;
    virtual Result<> interrupt() = 0;
    // The stop, if it comes within `wait`; the selected vCPU becomes the one that stopped.
    virtual Result<std::optional<StopEvent>> wait_for_stop(std::chrono::milliseconds wait) = 0;
    virtual bool running() const = 0;

    virtual Result<> insert_breakpoint(const Breakpoint& breakpoint) = 0;
    virtual Result<> remove_breakpoint(const Breakpoint& breakpoint) = 0;
    virtual const std::vector<Breakpoint>& inserted_breakpoints() const = 0;

    virtual int vcpu_count() const = 0;
    virtual int current_vcpu() const = 0;
    virtual Result<> select_vcpu(int index) = 0;

    // Whether the other vCPUs run while the selected one steps (GDB's scheduler-locking off,
    // the default) or stay stopped (scheduler-locking step); only some backends can choose.
    virtual bool others_run_while_stepping() const { return true; }
    virtual Result<> set_others_run_while_stepping(bool run) {
        if (run) {
            return {};
        }
        return fail_as(ErrorKind::unsupported,
                       "this target cannot keep the other vCPUs stopped during a step");
    }

    // The backend's own command language (QEMU's HMP through qRcmd).
    virtual Result<std::string> monitor(std::string_view command) = 0;
    // Removes every breakpoint this Target inserted and lets the guest run on.
    virtual Result<> detach() = 0;

    // Bumped by everything that can change what the target would answer: resume, step, a
    // register or memory write, a monitor command, selecting another vCPU. Every cache of
    // target state remembers the generation it was filled at and is stale once it differs.
    std::uint64_t stop_generation() const { return generation_; }
    // The part of it that changes the guest itself (everything but vCPU selection): what the
    // user selected at a stop (a frame) survives kdive looking at another vCPU meanwhile.
    std::uint64_t guest_generation() const { return guest_generation_; }

    // Helpers on top of the primitives.
    Result<std::uint64_t> read_register(std::string_view name);
    Result<std::uint64_t> read_cpu_register(int vcpu, std::string_view name);
    Result<std::vector<std::uint8_t>> read_bytes(std::uint64_t address, std::size_t length);
    Result<std::uint64_t> read_u64(std::uint64_t address);

protected:
    void bump_generation() {
        ++generation_;
        ++guest_generation_;
    }
    void bump_selection_generation() { ++generation_; }

private:
    std::uint64_t generation_ = 0;
    std::uint64_t guest_generation_ = 0;
};

} // namespace kdive::target
