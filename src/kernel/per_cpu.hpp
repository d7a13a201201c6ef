// Per-CPU data: which CPUs exist, each CPU's per-CPU offset, and `current` on every CPU.
#pragma once

#include "eval/memory_reader.hpp"
#include "kernel/kernel.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace kdive::kernel {

struct CpuCurrent {
    int cpu = 0;
    std::uint64_t task = 0;          // current task_struct
    std::uint64_t runqueue_curr = 0; // per_cpu(runqueues, cpu).curr, 0 when unknown
};

class PerCpu {
public:
    // Reads nr_cpu_ids, the possible/online masks and __per_cpu_offset.
    static Result<PerCpu> load(Kernel& kernel);

    unsigned nr_cpu_ids() const { return nr_cpu_ids_; }
    const std::vector<int>& possible() const { return possible_; }
    const std::vector<int>& online() const { return online_; }
    bool is_online(int cpu) const;
    // Before 6.15 per-CPU symbols are offsets from 0 into each CPU's area; from 6.15 on x86-64
    // they are ordinary kernel addresses. `&var + __per_cpu_offset[cpu]` holds in both.
    bool zero_based() const { return zero_based_; }
    Result<std::uint64_t> offset(int cpu) const;

    // Address of `var`'s copy for `cpu` (the variable must be a per-CPU symbol).
    Result<std::uint64_t> address(std::string_view var, int cpu);
    Result<std::uint64_t> address(std::uint64_t var_address, int cpu) const;

    // Where `current` lives per CPU in this kernel, e.g. "pcpu_hot.current_task".
    const std::string& current_source() const { return current_source_; }
    Result<std::uint64_t> current_task(int cpu);
    Result<CpuCurrent> current(int cpu);

    // The CPU whose __per_cpu_offset is `base` (a vCPU's per-CPU base); nullopt when no CPU or
    // several match (before setup_per_cpu_areas() every entry holds the boot offset).
    std::optional<int> cpu_with_offset(std::uint64_t base) const;
    // `current` read through a per-CPU base itself, needing no CPU number: right from the
    // first instruction of start_kernel, when the boot CPU's base points at the initial copy
    // of the per-CPU data, whose current_task is &init_task.
    Result<std::uint64_t> current_task_at(std::uint64_t base);

private:
    Result<std::uint64_t> read_current(std::uint64_t slot, std::string_view whose);
    explicit PerCpu(Kernel& kernel) : kernel_(&kernel) {}

    Kernel* kernel_;
    unsigned nr_cpu_ids_ = 0;
    std::vector<int> possible_;
    std::vector<int> online_;
    std::vector<std::uint64_t> offsets_;
    bool zero_based_ = true;
    std::uint64_t current_address_ = 0; // &current_task (or &pcpu_hot.current_task)
    std::string current_source_;
};

// The per-CPU base of the vCPU `registers` reads (x86-64: GS base in kernel mode, the kernel
// GS base that swapgs saved in user mode; arm64: TPIDR_EL1). `&var + base` is that CPU's copy
// of a per-CPU variable, before 6.15 (zero-based symbols) and after (ordinary addresses) alike.
Result<std::uint64_t> vcpu_per_cpu_base(const arch::Architecture& arch,
                                        eval::RegisterReader& registers);

// The vCPU's current task where a register holds it (arm64's SP_EL0 in kernel mode).
std::optional<std::uint64_t> vcpu_current_task(const arch::Architecture& arch,
                                               eval::RegisterReader& registers);

// `registers` as the architecture layer reads them.
arch::RegisterLookup register_lookup(eval::RegisterReader& registers);

} // namespace kdive::kernel
