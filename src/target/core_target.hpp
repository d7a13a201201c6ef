// A Target over a vmcore: physical memory from the dump, each CPU's registers from its notes,
// virtual memory through an AddressTranslator, and no execution (the run-control calls say the
// target is a core file).
#pragma once

#include "target/address_translator.hpp"
#include "target/core_file.hpp"
#include "target/core_registers.hpp"
#include "target/target.hpp"
#include "target/vmcore_info.hpp"

#include <map>
#include <memory>

namespace kdive::target {

class CoreTarget final : public Target {
public:
    // Fails when the dump has no CPU registers at all (neither NT_PRSTATUS nor QEMU notes) or
    // is of a machine other than x86-64 and arm64.
    static Result<std::unique_ptr<CoreTarget>> open(std::unique_ptr<CoreFile> file);

    CoreFile& file() { return *file_; }
    // EM_X86_64 or EM_AARCH64: the registers() it describes are that machine's gdbstub's.
    std::uint16_t machine() const { return machine_; }
    const VmcoreInfo& vmcore_info() const { return vmcore_info_; }
    // Virtual reads fail until a translator is set.
    void set_translator(std::unique_ptr<AddressTranslator> translator) {
        translator_ = std::move(translator);
    }

    Result<> read_memory(std::uint64_t address, std::span<std::uint8_t> out) override;
    Result<> write_memory(std::uint64_t address, std::span<const std::uint8_t> bytes) override;
    Result<> read_physical(std::uint64_t address, std::span<std::uint8_t> out) override;
    Result<> write_physical(std::uint64_t address, std::span<const std::uint8_t> bytes) override;
    const std::vector<RegisterDescription>& registers() const override;
    Result<std::vector<std::uint8_t>> read_register_bytes(std::string_view name) override;
    Result<std::vector<std::uint8_t>> read_cpu_register_bytes(int vcpu,
                                                              std::string_view name) override;
    Result<> resume() override;
    Result<> step() override;
    Result<> interrupt() override;
    Result<std::optional<StopEvent>> wait_for_stop(std::chrono::milliseconds wait) override;
    bool has_execution() const override { return false; }
    std::string describe() const override;
    bool running() const override { return false; }
    Result<> insert_breakpoint(const Breakpoint& breakpoint) override;
    Result<> remove_breakpoint(const Breakpoint& breakpoint) override;
    const std::vector<Breakpoint>& inserted_breakpoints() const override { return none_; }
    int vcpu_count() const override { return static_cast<int>(cpus_.size()); }
    int current_vcpu() const override { return current_; }
    Result<> select_vcpu(int index) override;
    Result<std::string> monitor(std::string_view command) override;
    Result<> detach() override { return {}; }

private:
    explicit CoreTarget(std::unique_ptr<CoreFile> file) : file_(std::move(file)) {}
    std::unexpected<Error> core_file_refuses(std::string_view what) const;

    std::unique_ptr<CoreFile> file_;
    std::unique_ptr<AddressTranslator> translator_;
    VmcoreInfo vmcore_info_;
    std::uint16_t machine_ = em_x86_64;
    std::vector<CoreRegisterValues> cpus_;
    std::vector<Breakpoint> none_;
    int current_ = 0;
};

} // namespace kdive::target
