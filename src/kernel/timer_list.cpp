// hrtimer_bases.clock_base[i].active starts with the rb_root of its timerqueue (plain before
// 7.x, linked after; the rb_node leads struct hrtimer either way); timer_bases[b].vectors[] are
// hlists of timer_list.entry.
#include "kernel/timer_list.hpp"

#include "kernel/per_cpu.hpp"
#include "kernel/rb_tree.hpp"
#include "kernel/visited_nodes.hpp"

namespace kdive::kernel {

namespace {

constexpr std::size_t max_timers_per_bucket = 1'000'000;

Result<std::vector<PendingTimer>> hrtimers_of(Kernel& kernel, std::uint64_t cpu_base) {
    auto cpu_layout = kernel.layout("hrtimer_cpu_base");
    auto clock_layout = kernel.layout("hrtimer_clock_base");
    auto timer_layout = kernel.layout("hrtimer");
    if (!cpu_layout || !clock_layout || !timer_layout) {
        return std::unexpected(!cpu_layout     ? cpu_layout.error()
                               : !clock_layout ? clock_layout.error()
                                               : timer_layout.error());
    }
    auto bases = (*cpu_layout)->require("clock_base");
    auto active = (*clock_layout)->offset("active");
    auto expires = (*timer_layout)->offset("node.expires");
    auto function = (*timer_layout)->offset("function");
    if (!bases || !active || !expires || !function) {
        return fail("the hrtimer layouts are not readable here");
    }
    const std::uint64_t stride = (*clock_layout)->size();
    std::vector<PendingTimer> out;
    for (std::uint64_t i = 0; stride != 0 && i < bases->size / stride; ++i) {
        const std::uint64_t base = cpu_base + bases->offset + i * stride;
        auto root = kernel.read_u64(base + *active);
        if (!root) {
            return wrap(root.error(), fmt::format("reading hrtimer clock base {}", i));
        }
        auto nodes = rb_tree_nodes(kernel, *root, fmt::format("hrtimer clock base {:#x}", base));
        if (!nodes) {
            return std::unexpected(nodes.error());
        }
        for (const std::uint64_t timer : *nodes) {
            auto when = kernel.read_u64(timer + *expires);
            auto call = kernel.read_u64(timer + *function);
            if (!when || !call) {
                return wrap(!when ? when.error() : call.error(),
                            fmt::format("reading hrtimer {:#x}", timer));
            }
            out.push_back({static_cast<unsigned>(i), timer, *when, *call});
        }
    }
    return out;
}

Result<std::vector<PendingTimer>> wheel_of(Kernel& kernel, std::uint64_t bases_at,
                                           std::uint64_t base_count) {
    auto base_layout = kernel.layout("timer_base");
    auto timer_layout = kernel.layout("timer_list");
    if (!base_layout || !timer_layout) {
        return std::unexpected(!base_layout ? base_layout.error() : timer_layout.error());
    }
    auto vectors = (*base_layout)->require("vectors");
    auto entry = (*timer_layout)->offset("entry");
    auto expires = (*timer_layout)->offset("expires");
    auto function = (*timer_layout)->offset("function");
    if (!vectors || !entry || !expires || !function) {
        return fail("the timer wheel layouts are not readable here");
    }
    std::vector<PendingTimer> out;
    for (std::uint64_t b = 0; b < base_count; ++b) {
        const std::uint64_t base = bases_at + b * (*base_layout)->size();
        auto heads = kernel.read(base + vectors->offset, vectors->size);
        if (!heads) {
            return wrap(heads.error(), fmt::format("reading the wheel of timer base {:#x}", base));
        }
        for (std::uint64_t bucket = 0; bucket < vectors->size / 8; ++bucket) {
            VisitedNodes visited(fmt::format("timer wheel bucket {} of {:#x}", bucket, base));
            for (std::uint64_t node = heads->u64(8 * bucket); node != 0;) {
                if (auto ok = visited.visit(node); !ok) {
                    return std::unexpected(ok.error());
                }
                if (visited.size() > max_timers_per_bucket) {
                    return fail_as(ErrorKind::corrupt, "timer wheel bucket at {:#x} does not end",
                                   base);
                }
                const std::uint64_t timer = node - *entry;
                auto record = kernel.read(timer, (*timer_layout)->size());
                if (!record) {
                    return wrap(record.error(), fmt::format("reading timer_list {:#x}", timer));
                }
                out.push_back({static_cast<unsigned>(b), timer, record->u64(*expires),
                               record->u64(*function)});
                node = record->u64(*entry); // hlist_node.next
            }
        }
    }
    return out;
}

} // namespace

Result<std::vector<CpuTimers>> read_timers(Kernel& kernel) {
    auto percpu = PerCpu::load(kernel);
    if (!percpu) {
        return std::unexpected(percpu.error());
    }
    auto wheel = kernel.variable("timer_bases");
    if (!wheel) {
        return std::unexpected(wheel.error());
    }
    auto base_layout = kernel.layout("timer_base");
    if (!base_layout) {
        return std::unexpected(base_layout.error());
    }
    // timer_bases is an array of NR_BASES timer_base (2 or 3, by configuration and version).
    const debuginfo::Type* array = debuginfo::strip_typedefs(wheel->type);
    std::uint64_t base_count = 1;
    if (array != nullptr && array->kind == debuginfo::TypeKind::array && array->count) {
        base_count = *array->count;
    }
    std::vector<CpuTimers> out;
    for (const int cpu : percpu->online()) {
        CpuTimers timers;
        timers.cpu = cpu;
        auto hr_base = percpu->address("hrtimer_bases", cpu);
        if (!hr_base) {
            return std::unexpected(hr_base.error());
        }
        auto hr = hrtimers_of(kernel, *hr_base);
        if (!hr) {
            return wrap(hr.error(), fmt::format("CPU {}'s hrtimers", cpu));
        }
        timers.hrtimers = std::move(*hr);
        auto wheel_at = percpu->address("timer_bases", cpu);
        if (!wheel_at) {
            return std::unexpected(wheel_at.error());
        }
        auto listed = wheel_of(kernel, *wheel_at, base_count);
        if (!listed) {
            return wrap(listed.error(), fmt::format("CPU {}'s timer wheel", cpu));
        }
        timers.timers = std::move(*listed);
        out.push_back(std::move(timers));
    }
    return out;
}

} // namespace kdive::kernel
