// The interrupt descriptors as /proc/interrupts shows them: each IRQ with an action (or a
// count), its chip, hardware IRQ number, trigger and flow handler, its actions' names, and
// counts per online CPU.
#pragma once

#include "kernel/kernel.hpp"
#include "support/error.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace kdive::kernel {

struct IrqInfo {
    unsigned irq = 0;
    std::uint64_t desc = 0; // struct irq_desc
    std::string chip;       // irq_chip.name
    std::uint64_t hwirq = 0;
    bool has_domain = false; // /proc prints the hwirq only then
    std::string flow;        // the flow handler's name (irq_desc.name): "edge", "fasteoi"...
    bool level = false;      // level-triggered (IRQD_LEVEL), else edge
    // /proc prints "Level" or "Edge" (CONFIG_GENERIC_IRQ_SHOW_LEVEL: arm64 selects it, x86-64
    // does not).
    bool shows_trigger = false;
    std::vector<std::string> actions;
    std::vector<std::uint64_t> handlers; // each action's handler function
    std::vector<int> cpus;               // online CPUs, the order of `counts`
    std::vector<std::uint64_t> counts;
};

// In IRQ order. The descriptors come from sparse_irqs (a maple tree, 6.5+) or irq_desc_tree (a
// radix tree before); a kernel without CONFIG_SPARSE_IRQ is refused by name. Hidden ones (arm64's
// IPIs, which /proc lists by their own names) and chained ones without counts are left out.
Result<std::vector<IrqInfo>> read_irqs(Kernel& kernel);

} // namespace kdive::kernel
