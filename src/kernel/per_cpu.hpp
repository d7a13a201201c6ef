// Per-CPU data: which CPUs exist, each CPU's per-CPU offset, and `current` on every CPU.
#pragma once

#include "kernel/kernel.hpp"

#include <cstdint>
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

private:
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

} // namespace kdive::kernel
