// A Target over a stub connection another debugger owns (GDB, behind kdive's relay): while
// that debugger waits for a `monitor` answer it reads memory (virtual and physical) and
// registers of any vCPU, and puts back what it moved (the register thread, QEMU's physical
// mode), so the debugger's view of the stub stays as it left it. Run control is refused.
#pragma once

#include "rsp/rsp_connection.hpp"
#include "rsp/stop_reply.hpp"
#include "rsp/target_description.hpp"
#include "target/address_translator.hpp"
#include "target/target.hpp"

#include <memory>

namespace kdive::target {

class BorrowedStubTarget final : public Target {
public:
    explicit BorrowedStubTarget(rsp::RspConnection& stub) : stub_(stub) {}

    // The guest may have run since the last request: every cache keyed by the generation goes.
    // `debugger_thread` is the debugger's own register thread selection (its last "Hg..."
    // packet, empty when it sent none), put back by end_request when kdive selected another.
    void begin_request(std::string debugger_thread);
    Result<> end_request();
    // Kernel memory the stub cannot read through the selected vCPU (one stopped in user mode:
    // arm64 at EL0 maps none of it) is walked in the kernel's tables by `translator` and read
    // physically.
    void set_translator(std::unique_ptr<AddressTranslator> translator);
    // Kernel memory through the translator and physical reads only: for a read the stub has
    // just refused. Fails when no translator is set.
    Result<> read_translated(std::uint64_t address, std::span<std::uint8_t> out);

    Result<> read_memory(std::uint64_t address, std::span<std::uint8_t> out) override;
    Result<> write_memory(std::uint64_t address, std::span<const std::uint8_t> bytes) override;
    Result<> read_memory_ranges(std::span<const MemoryRange> ranges) override;
    Result<> read_physical(std::uint64_t address, std::span<std::uint8_t> out) override;
    Result<> write_physical(std::uint64_t address, std::span<const std::uint8_t> bytes) override;
    // GDB's selected thread's (its last Hg): the one GDB shows, read with `p`.
    const std::vector<RegisterDescription>& registers() const override;
    Result<std::vector<std::uint8_t>> read_register_bytes(std::string_view name) override;
    Result<> resume() override;
    Result<> step() override;
    Result<> interrupt() override;
    Result<std::optional<StopEvent>> wait_for_stop(std::chrono::milliseconds wait) override;
    bool running() const override { return false; }
    std::string describe() const override {
        return "a gdbstub another debugger owns (borrowed during its monitor command)";
    }
    Result<> insert_breakpoint(const Breakpoint& breakpoint) override;
    Result<> remove_breakpoint(const Breakpoint& breakpoint) override;
    const std::vector<Breakpoint>& inserted_breakpoints() const override { return none_; }
    int vcpu_count() const override;
    int current_vcpu() const override { return current_; }
    Result<> select_vcpu(int index) override;
    Result<std::string> monitor(std::string_view command) override;
    Result<> detach() override { return {}; }

private:
    // Virtual or physical (per QEMU's mode) reads through the stub alone.
    Result<> read_through_stub(std::span<const MemoryRange> ranges);
    // The stub's target.xml, read at the first register access.
    const rsp::RegisterMap* register_map() const;
    // The stub's threads, in vCPU order (none when it cannot list them).
    const std::vector<rsp::ThreadId>& threads() const;

    rsp::RspConnection& stub_;
    std::unique_ptr<AddressTranslator> translator_;
    mutable std::optional<rsp::RegisterMap> map_;
    mutable std::vector<RegisterDescription> descriptions_;
    std::vector<Breakpoint> none_;
    mutable std::optional<std::vector<rsp::ThreadId>> threads_;
    int current_ = 0;
    std::string debugger_thread_;
    bool moved_ = false; // kdive sent its own Hg during this request
};

} // namespace kdive::target
