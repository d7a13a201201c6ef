// As show_interrupts(): a descriptor is listed when it has an action that is not a chained
// handler's placeholder (chained_action), or any count, and is not hidden (IRQ_HIDDEN in
// status_use_accessors). Per-CPU counts are kstat_irqs (unsigned int, or struct irqstat whose
// first member is the count, 6.10+) in each CPU's per-CPU area. The trigger is IRQD_LEVEL in
// the descriptor's irq_common_data.state_use_accessors. Flag values are the debug info's enums.
#include "kernel/irq_table.hpp"

#include "kernel/maple_tree.hpp"
#include "kernel/per_cpu.hpp"
#include "kernel/xarray.hpp"

#include <utility>

namespace kdive::kernel {

namespace {

constexpr std::size_t max_actions = 256;
constexpr std::uint64_t max_irqs = 1U << 20;

// (irq, desc) pairs in IRQ order.
Result<std::vector<std::pair<std::uint64_t, std::uint64_t>>> descriptors(Kernel& kernel) {
    std::vector<std::pair<std::uint64_t, std::uint64_t>> out;
    if (kernel.has_symbol("sparse_irqs")) {
        auto tree = kernel.address_of("sparse_irqs");
        auto entries = tree ? maple_tree_entries(kernel, *tree)
                            : Result<std::vector<MapleEntry>>(std::unexpected(tree.error()));
        if (!entries) {
            return wrap(entries.error(), "walking sparse_irqs");
        }
        for (const auto& entry : *entries) {
            for (std::uint64_t irq = entry.first; irq <= entry.last && irq < max_irqs; ++irq) {
                out.emplace_back(irq, entry.value);
            }
        }
        return out;
    }
    if (kernel.has_symbol("irq_desc_tree")) {
        auto tree = kernel.address_of("irq_desc_tree");
        auto entries = tree ? xarray_entries(kernel, *tree)
                            : Result<std::vector<XArrayEntry>>(std::unexpected(tree.error()));
        if (!entries) {
            return wrap(entries.error(), "walking irq_desc_tree");
        }
        for (const auto& entry : *entries) {
            out.emplace_back(entry.index, entry.value);
        }
        return out;
    }
    return fail_as(ErrorKind::unsupported,
                   "this kernel has neither sparse_irqs nor irq_desc_tree (CONFIG_SPARSE_IRQ "
                   "is off); its irq_desc array is not read");
}

// An enumerator's value as a bit mask; 0 when the debug info lacks it.
std::uint64_t enum_mask(Kernel& kernel, std::string_view name) {
    auto found = kernel.info().find_enumerator(name);
    if (!found || found->value <= 0) {
        return 0;
    }
    return static_cast<std::uint64_t>(found->value);
}

} // namespace

Result<std::vector<IrqInfo>> read_irqs(Kernel& kernel) {
    auto desc_layout = kernel.layout("irq_desc");
    auto action_layout = kernel.layout("irqaction");
    auto chip_layout = kernel.layout("irq_chip");
    for (const auto* layout : {&desc_layout, &action_layout, &chip_layout}) {
        if (!*layout) {
            return std::unexpected(layout->error());
        }
    }
    const StructLayout& desc = **desc_layout;
    auto field = [&](const StructLayout& layout, std::string_view path) -> Result<Field> {
        return layout.require(path);
    };
    auto hwirq = field(desc, "irq_data.hwirq");
    auto chip = field(desc, "irq_data.chip");
    auto domain = field(desc, "irq_data.domain");
    auto flow = field(desc, "name");
    auto kstat = field(desc, "kstat_irqs");
    auto action = field(desc, "action");
    auto next = field(**action_layout, "next");
    auto name = field(**action_layout, "name");
    auto handler = field(**action_layout, "handler");
    auto chip_name = field(**chip_layout, "name");
    auto status = field(desc, "status_use_accessors");
    auto state = field(desc, "irq_common_data.state_use_accessors");
    for (const auto* f : {&hwirq, &chip, &domain, &flow, &kstat, &action, &next, &name, &handler,
                          &chip_name, &status, &state}) {
        if (!*f) {
            return std::unexpected(f->error());
        }
    }
    const std::uint64_t hidden = enum_mask(kernel, "IRQ_HIDDEN");
    const std::uint64_t level = enum_mask(kernel, "IRQD_LEVEL");
    std::uint64_t chained = 0;
    if (kernel.has_symbol("chained_action")) {
        auto at = kernel.address_of("chained_action");
        if (!at) {
            return std::unexpected(at.error());
        }
        chained = *at;
    }
    const bool shows_trigger = kernel.architecture().machine == arch::Machine::aarch64;
    auto percpu = PerCpu::load(kernel);
    if (!percpu) {
        return std::unexpected(percpu.error());
    }
    auto all = descriptors(kernel);
    if (!all) {
        return std::unexpected(all.error());
    }
    std::vector<IrqInfo> out;
    for (const auto& [irq, address] : *all) {
        auto record = kernel.read(address, desc.size());
        if (!record) {
            return wrap(record.error(),
                        fmt::format("reading irq_desc {:#x} (IRQ {})", address, irq));
        }
        if (hidden != 0 && (record->get(*status) & hidden) != 0) {
            continue;
        }
        IrqInfo info;
        info.irq = static_cast<unsigned>(irq);
        info.level = level != 0 && (record->get(*state) & level) != 0;
        info.shows_trigger = shows_trigger;
        info.desc = address;
        info.hwirq = record->get(*hwirq);
        info.has_domain = record->get(*domain) != 0;
        const std::uint64_t kstat_irqs = record->get(*kstat);
        std::uint64_t total = 0;
        for (const int cpu : percpu->online()) {
            std::uint64_t count = 0;
            if (kstat_irqs != 0) {
                auto at = percpu->address(kstat_irqs, cpu);
                auto value =
                    at ? kernel.read_u32(*at) : Result<std::uint32_t>(std::unexpected(at.error()));
                if (!value) {
                    return wrap(value.error(),
                                fmt::format("reading IRQ {}'s count on CPU {}", irq, cpu));
                }
                count = *value;
            }
            info.cpus.push_back(cpu);
            info.counts.push_back(count);
            total += count;
        }
        std::uint64_t next_action = record->get(*action);
        if ((next_action == 0 || (chained != 0 && next_action == chained)) && total == 0) {
            continue;
        }
        for (std::size_t n = 0; next_action != 0; ++n) {
            if (n >= max_actions) {
                return fail_as(ErrorKind::corrupt, "IRQ {} has more than {} actions", irq,
                               max_actions);
            }
            auto act = kernel.read(next_action, (*action_layout)->size());
            if (!act) {
                return wrap(act.error(),
                            fmt::format("reading irqaction {:#x} of IRQ {}", next_action, irq));
            }
            const std::uint64_t text = act->get(*name);
            auto label = text != 0 ? kernel.read_c_string(text, 128) : Result<std::string>("");
            info.actions.push_back(label ? *label : "?");
            info.handlers.push_back(act->get(*handler));
            next_action = act->get(*next);
        }
        if (const std::uint64_t chip_at = record->get(*chip); chip_at != 0) {
            auto name_at = kernel.read_u64(chip_at + chip_name->offset);
            if (name_at && *name_at != 0) {
                auto text = kernel.read_c_string(*name_at, 64);
                info.chip = text ? *text : "?";
            }
        }
        if (const std::uint64_t flow_at = record->get(*flow); flow_at != 0) {
            auto text = kernel.read_c_string(flow_at, 64);
            info.flow = text ? *text : "?";
        }
        out.push_back(std::move(info));
    }
    return out;
}

} // namespace kdive::kernel
