// A vCPU that has not started (firmware, real mode) runs no task; one in user mode runs its
// current task with that task's kernel stack unused.
#include "kernel/vcpu_tasks.hpp"

#include "kernel/per_cpu.hpp"
#include "kernel/stack_unwinder.hpp"
#include "kernel/target_memory.hpp"

#include <algorithm>

namespace kdive::kernel {

Result<VcpuTasks> VcpuTasks::read(Kernel& kernel, target::Target& target) {
    auto percpu = PerCpu::load(kernel);
    if (!percpu) {
        return std::unexpected(percpu.error());
    }
    VcpuTasks out;
    out.thread_size_ = thread_size(kernel);
    out.slots_.resize(static_cast<std::size_t>(target.vcpu_count()));
    for (int vcpu = 0; vcpu < target.vcpu_count(); ++vcpu) {
        VcpuTask& slot = out.slots_[static_cast<std::size_t>(vcpu)];
        CpuRegisterReader own(target, vcpu);
        const arch::Architecture& arch = kernel.architecture();
        auto pc = own.read_register(arch.pc);
        auto sp = own.read_register(arch.sp);
        auto mode = arch::cpu_mode(arch, register_lookup(own));
        auto base = vcpu_per_cpu_base(arch, own);
        if (!pc || !sp || !mode) {
            slot.unreadable = !pc ? pc.error() : !sp ? sp.error() : mode.error();
            continue;
        }
        const bool user_mode = *mode == arch::CpuMode::user;
        if (!user_mode && !is_kernel_address(*pc)) {
            continue;
        }
        // Without the vCPU's own per-CPU base (a kdump vmcore's NT_PRSTATUS has no segment
        // bases), its index is taken as its CPU number, as the dumper writes one note per CPU
        // in CPU order.
        Result<std::uint64_t> task =
            base ? percpu->current_task_at(*base) : percpu->current_task(vcpu);
        if (auto held = vcpu_current_task(arch, own)) {
            task = *held;
        }
        if (!task && !base) {
            slot.unreadable = base.error();
            continue;
        }
        if (!task) {
            slot.unreadable = task.error();
            continue;
        }
        slot.current = *task;
        if (user_mode) {
            continue;
        }
        if (auto foreign = foreign_task_stack(kernel, *task, *sp); foreign && *foreign) {
            slot.switching_to_stack = **foreign;
        }
    }
    return out;
}

std::optional<int> VcpuTasks::vcpu_of(std::uint64_t task, std::optional<std::uint64_t> sp) const {
    for (std::size_t vcpu = 0; vcpu < slots_.size(); ++vcpu) {
        const VcpuTask& slot = slots_[vcpu];
        const bool owns = slot.switching_to_stack == 0
                              ? slot.current == task
                              : sp.has_value() && thread_size_ != 0 &&
                                    (sp.value() & ~(thread_size_ - 1)) == slot.switching_to_stack;
        if (owns) {
            return static_cast<int>(vcpu);
        }
    }
    return std::nullopt;
}

Result<> VcpuTasks::require_sleeping(Kernel& kernel, std::uint64_t task) const {
    const auto unknown = std::find_if(slots_.begin(), slots_.end(),
                                      [](const VcpuTask& slot) { return slot.unreadable; });
    if (unknown == slots_.end()) {
        return {};
    }
    // task_struct.on_cpu (CONFIG_SMP) is set from the switch to a task until it is switched
    // away from.
    auto layout = kernel.layout("task_struct");
    const auto field = layout ? (*layout)->field("on_cpu") : std::nullopt;
    if (field) {
        if (auto record = kernel.read(task + field->offset, field->size)) {
            if (record->uint(0, field->size) == 0) {
                return {};
            }
        }
    }
    return fail_as(ErrorKind::corrupt,
                   "task {:#x} may be running on vCPU {}, whose current task could not be read "
                   "({}): its saved registers would give a stale trace",
                   task, unknown - slots_.begin(), unknown->unreadable->message);
}

Result<std::vector<std::uint64_t>> idle_tasks(Kernel& kernel) {
    const StructLayout* rq = kernel.find_layout("rq");
    if (rq == nullptr || !kernel.has_symbol("runqueues")) {
        return fail("no run queues in the debug info");
    }
    auto idle = rq->require("idle");
    if (!idle) {
        return std::unexpected(idle.error());
    }
    auto percpu = PerCpu::load(kernel);
    if (!percpu) {
        return std::unexpected(percpu.error());
    }
    std::vector<std::uint64_t> out;
    for (int cpu : percpu->online()) {
        auto slot = percpu->address("runqueues", cpu);
        if (!slot) {
            continue;
        }
        if (auto task = kernel.read_u64(*slot + idle->offset); task && *task != 0) {
            out.push_back(*task);
        }
    }
    return out;
}

} // namespace kdive::kernel
