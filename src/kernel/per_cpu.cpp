// CPU masks and offsets are read once, only as many entries as nr_cpu_ids (NR_CPUS is 8192 on
// distribution kernels: reading whole arrays would cost dozens of round trips).
#include "kernel/per_cpu.hpp"

#include <algorithm>

namespace kdive::kernel {

namespace {

Result<std::vector<int>> read_cpumask(Kernel& kernel, std::string_view name, unsigned nr_cpu_ids) {
    auto address = kernel.address_of(name);
    if (!address) {
        return std::unexpected(address.error());
    }
    const std::size_t words = (nr_cpu_ids + 63) / 64;
    auto bits = kernel.read(*address, words * 8);
    if (!bits) {
        return wrap(bits.error(), fmt::format("reading {}", name));
    }
    std::vector<int> cpus;
    for (unsigned cpu = 0; cpu < nr_cpu_ids; ++cpu) {
        if ((bits->u64(std::size_t{8} * (cpu / 64)) >> (cpu % 64) & 1) != 0) {
            cpus.push_back(static_cast<int>(cpu));
        }
    }
    return cpus;
}

} // namespace

Result<PerCpu> PerCpu::load(Kernel& kernel) {
    PerCpu out(kernel);
    // nr_cpu_ids is a variable unless NR_CPUS is 1 (then a constant and no per-CPU areas).
    if (auto nr_cpu_ids = kernel.address_of("nr_cpu_ids")) {
        auto value = kernel.read_u32(*nr_cpu_ids);
        if (!value) {
            return wrap(value.error(), "reading nr_cpu_ids");
        }
        out.nr_cpu_ids_ = *value;
    } else {
        out.nr_cpu_ids_ = 1;
    }
    if (out.nr_cpu_ids_ == 0 || out.nr_cpu_ids_ > 65536) {
        return fail("nr_cpu_ids reads {}: kernel memory is not what the vmlinux describes",
                    out.nr_cpu_ids_);
    }
    auto possible = read_cpumask(kernel, "__cpu_possible_mask", out.nr_cpu_ids_);
    if (!possible) {
        return std::unexpected(possible.error());
    }
    out.possible_ = std::move(*possible);
    auto online = read_cpumask(kernel, "__cpu_online_mask", out.nr_cpu_ids_);
    if (!online) {
        return std::unexpected(online.error());
    }
    out.online_ = std::move(*online);

    auto offsets = kernel.address_of("__per_cpu_offset");
    if (!offsets) {
        return std::unexpected(offsets.error());
    }
    auto table = kernel.read(*offsets, 8ull * out.nr_cpu_ids_);
    if (!table) {
        return wrap(table.error(), "reading __per_cpu_offset");
    }
    for (unsigned cpu = 0; cpu < out.nr_cpu_ids_; ++cpu) {
        out.offsets_.push_back(table->u64(8ull * cpu));
    }
    // 6.15 made x86-64 per-CPU symbols ordinary addresses: __per_cpu_start is no longer 0.
    const debuginfo::Symbol* start = kernel.info().symbols().find("__per_cpu_start");
    out.zero_based_ = start != nullptr && start->address == 0;

    // current: per-CPU current_task (<= 6.1), pcpu_hot.current_task (6.2-6.14, commit
    // "x86/percpu: Move current_task to percpu hot section"), current_task again from 6.15.
    // The symbol table answers "is there a pcpu_hot" at once; a type lookup that misses would
    // fall through BTF into the DWARF index.
    const StructLayout* hot =
        kernel.has_symbol("pcpu_hot") ? kernel.find_layout("pcpu_hot") : nullptr;
    if (hot != nullptr && hot->has("current_task")) {
        auto base = kernel.address_of("pcpu_hot");
        out.current_address_ = *base + hot->field("current_task")->offset;
        out.current_source_ = "pcpu_hot.current_task";
    } else if (auto current_task = kernel.address_of("current_task")) {
        out.current_address_ = *current_task;
        out.current_source_ = "current_task";
    } else if (auto entry_task = kernel.address_of("__entry_task")) {
        // arm64 keeps `current` in SP_EL0 and, per CPU, the task an entry from user mode
        // switches to (set at every context switch).
        out.current_address_ = *entry_task;
        out.current_source_ = "__entry_task";
    } else if (const StructLayout* rq =
                   kernel.has_symbol("runqueues") ? kernel.find_layout("rq") : nullptr;
               rq != nullptr && rq->has("curr")) {
        out.current_address_ = *kernel.address_of("runqueues") + rq->field("curr")->offset;
        out.current_source_ = "runqueues.curr";
    } else {
        return fail("this kernel has no per-CPU current task (pcpu_hot.current_task, "
                    "current_task, __entry_task or runqueues.curr)");
    }
    return out;
}

bool PerCpu::is_online(int cpu) const {
    return std::find(online_.begin(), online_.end(), cpu) != online_.end();
}

Result<std::uint64_t> PerCpu::offset(int cpu) const {
    if (cpu < 0 || static_cast<unsigned>(cpu) >= nr_cpu_ids_) {
        return fail("CPU {} does not exist (nr_cpu_ids is {})", cpu, nr_cpu_ids_);
    }
    if (std::find(possible_.begin(), possible_.end(), cpu) == possible_.end()) {
        return fail("CPU {} is not a possible CPU", cpu);
    }
    return offsets_[static_cast<std::size_t>(cpu)];
}

Result<std::uint64_t> PerCpu::address(std::uint64_t var_address, int cpu) const {
    auto base = offset(cpu);
    if (!base) {
        return std::unexpected(base.error());
    }
    return var_address + *base;
}

Result<std::uint64_t> PerCpu::address(std::string_view var, int cpu) {
    auto symbol = kernel_->address_of(var);
    if (!symbol) {
        return std::unexpected(symbol.error());
    }
    return address(*symbol, cpu);
}

Result<std::uint64_t> PerCpu::current_task(int cpu) {
    auto slot = address(current_address_, cpu);
    if (!slot) {
        return std::unexpected(slot.error());
    }
    return read_current(*slot, fmt::format("CPU {}", cpu));
}

Result<std::uint64_t> PerCpu::current_task_at(std::uint64_t base) {
    return read_current(current_address_ + base, fmt::format("per-CPU base {:#x}", base));
}

Result<std::uint64_t> PerCpu::read_current(std::uint64_t slot, std::string_view whose) {
    auto task = kernel_->read_u64(slot);
    if (!task) {
        return wrap(task.error(), fmt::format("reading {} of {}", current_source_, whose));
    }
    return *task;
}

std::optional<int> PerCpu::cpu_with_offset(std::uint64_t base) const {
    std::optional<int> found;
    for (int cpu : possible_) {
        if (offsets_[static_cast<std::size_t>(cpu)] != base) {
            continue;
        }
        if (found) {
            return std::nullopt;
        }
        found = cpu;
    }
    return found;
}

arch::RegisterLookup register_lookup(eval::RegisterReader& registers) {
    return [&registers](std::string_view name) { return registers.read_register(name); };
}

Result<std::uint64_t> vcpu_per_cpu_base(const arch::Architecture& arch,
                                        eval::RegisterReader& registers) {
    return arch::per_cpu_base(arch, register_lookup(registers));
}

std::optional<std::uint64_t> vcpu_current_task(const arch::Architecture& arch,
                                               eval::RegisterReader& registers) {
    return arch::current_task_register(arch, register_lookup(registers));
}

Result<CpuCurrent> PerCpu::current(int cpu) {
    CpuCurrent out;
    out.cpu = cpu;
    auto task = current_task(cpu);
    if (!task) {
        return std::unexpected(task.error());
    }
    out.task = *task;
    // The scheduler's own view: the run queue's running task.
    const StructLayout* rq = kernel_->find_layout("rq");
    if (rq != nullptr && kernel_->has_symbol("runqueues")) {
        if (auto curr = rq->field("curr")) {
            if (auto slot = address("runqueues", cpu)) {
                if (auto value = kernel_->read_u64(*slot + curr->offset)) {
                    out.runqueue_curr = *value;
                }
            }
        }
    }
    return out;
}

} // namespace kdive::kernel
