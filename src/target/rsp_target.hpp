// Target backed by a gdbstub (QEMU's): the only place that turns Target calls into RSP requests.
#pragma once

#include "rsp/rsp_client.hpp"
#include "target/address_translator.hpp"
#include "target/guest_ram.hpp"
#include "target/page_cache.hpp"
#include "target/target.hpp"

#include <map>
#include <memory>
#include <optional>

namespace kdive::target {

struct RspTargetOptions {
    rsp::ClientOptions client;
    bool cache_memory = true;
    // How long detach waits for a running guest to stop before removing breakpoints.
    std::chrono::milliseconds stop_timeout{3000};
    // Whether the other vCPUs run while one is single-stepped (GDB's scheduler-locking off,
    // its default). Only a stub with vCont can keep them stopped; QEMU's plain `s` runs them.
    bool others_run_while_stepping = true;
};

class RspTarget final : public Target {
public:
    static Result<std::unique_ptr<RspTarget>> attach(const rsp::Endpoint& endpoint,
                                                     RspTargetOptions options = {});
    static Result<std::unique_ptr<RspTarget>> attach(std::unique_ptr<rsp::RspClient> client,
                                                     RspTargetOptions options = {});
    // Detaches if still attached, so no breakpoint outlives kdive.
    ~RspTarget() override;

    Result<> read_memory(std::uint64_t address, std::span<std::uint8_t> out) override;
    Result<> write_memory(std::uint64_t address, std::span<const std::uint8_t> bytes) override;
    Result<> read_memory_ranges(std::span<const MemoryRange> ranges) override;
    Result<> read_physical(std::uint64_t address, std::span<std::uint8_t> out) override;
    Result<> write_physical(std::uint64_t address, std::span<const std::uint8_t> bytes) override;

    const std::vector<RegisterDescription>& registers() const override { return descriptions_; }
    Result<std::vector<std::uint8_t>> read_register_bytes(std::string_view name) override;
    // Another vCPU's registers without moving the selection: its `g` reply, fetched between
    // two Hg packets and kept for the stop.
    Result<std::vector<std::uint8_t>> read_cpu_register_bytes(int vcpu,
                                                              std::string_view name) override;
    Result<> write_register_bytes(std::string_view name,
                                  std::span<const std::uint8_t> bytes) override;

    Result<> resume() override;
    Result<> step() override;
    Result<> interrupt() override;
    Result<std::optional<StopEvent>> wait_for_stop(std::chrono::milliseconds wait) override;
    bool running() const override { return running_; }
    std::string describe() const override;

    Result<> insert_breakpoint(const Breakpoint& breakpoint) override;
    Result<> remove_breakpoint(const Breakpoint& breakpoint) override;
    const std::vector<Breakpoint>& inserted_breakpoints() const override { return breakpoints_; }

    int vcpu_count() const override { return static_cast<int>(threads_.size()); }
    int current_vcpu() const override { return current_; }
    Result<> select_vcpu(int index) override;

    Result<std::string> monitor(std::string_view command) override;
    Result<> detach() override;

    // false: a step leaves the other vCPUs stopped (needs vCont); true: they run meanwhile.
    Result<> set_others_run_while_stepping(bool run) override;
    bool others_run_while_stepping() const override { return options_.others_run_while_stepping; }

    // Reads from the VM's RAM mapped into kdive instead of the stub (while stopped, as every
    // read is): physical reads directly, virtual ones through `translator`. A read the mapping
    // cannot serve (MMIO, a vCPU not in long mode) still goes to the stub; writes always do,
    // so QEMU drops translated code that a write changes.
    void set_direct_memory(std::unique_ptr<GuestRam> ram,
                           std::unique_ptr<AddressTranslator> translator);
    const GuestRam* direct_memory() const { return ram_.get(); }
    // Without mapped RAM: virtual reads the stub refuses (the selected vCPU in user mode under
    // KPTI, or at EL0 on arm64, maps little kernel memory) are translated by `translator` and
    // read physically through the stub instead.
    void set_translator(std::unique_ptr<AddressTranslator> translator);

    rsp::RspClient& client() { return *client_; }
    const rsp::RegisterMap& register_map() const { return map_; }
    const PageCache& virtual_cache() const { return virtual_cache_; }

private:
    RspTarget(std::unique_ptr<rsp::RspClient> client, RspTargetOptions options);
    Result<> initialise();
    // Fails unless the target is attached and stopped.
    Result<> require_stopped(std::string_view what) const;
    // QEMU reports a breakpoint again when a vCPU resumes at its address (GDB never meets
    // this: it lifts its breakpoints whenever the guest stops). Before resuming, the selected
    // vCPU executes the instruction at such an address alone, with the breakpoints there
    // lifted and then put back.
    Result<> step_over_breakpoint();
    // Everything read while stopped is stale once the guest runs or memory changes.
    void forget_state();
    Result<> use_physical(bool physical);
    Result<> read_translated(std::uint64_t address, std::span<std::uint8_t> out);
    Result<> read_uncached(std::uint64_t address, std::span<std::uint8_t> out, bool physical);
    Result<> write(std::uint64_t address, std::span<const std::uint8_t> bytes, bool physical);
    int vcpu_of(const rsp::ThreadId& thread) const;
    // nullopt: the mapping cannot serve this read (the caller asks the stub); else its result.
    std::optional<Result<>> read_direct(std::uint64_t address, std::span<std::uint8_t> out);
    StopEvent translate(const rsp::StopReply& reply);

    std::unique_ptr<rsp::RspClient> client_;
    RspTargetOptions options_;
    rsp::RegisterMap map_;
    std::vector<RegisterDescription> descriptions_;
    std::vector<rsp::ThreadId> threads_; // index = vCPU
    int current_ = 0;
    std::optional<int> step_thread_; // vCPU last selected with Hc
    bool running_ = false;
    bool attached_ = false;
    std::optional<std::string> exit_reason_; // set once the VM is gone
    std::vector<Breakpoint> breakpoints_;
    std::optional<rsp::RegisterBytes> registers_;       // `g` of the selected vCPU at this stop
    std::map<int, rsp::RegisterBytes> other_registers_; // `g` of other vCPUs at this stop
    PageCache virtual_cache_;
    PageCache physical_cache_;
    std::unique_ptr<GuestRam> ram_;
    std::unique_ptr<AddressTranslator> translator_;
};

} // namespace kdive::target
