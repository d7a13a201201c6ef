// Text and JSON forms of the whole-system commands (irq, and the device and network views),
// apart from reading them, so each can be tested with hostile guest strings.
#pragma once

#include "kernel/irq_table.hpp"

#include <string>
#include <vector>

namespace kdive::cli {

// `irq`: [{irq, name, chip, hwirq, flow, actions, handlers, cpus, counts, desc}] and rows as
// /proc/interrupts prints them. `handlers` holds each action's handler symbol (or address).
std::string irqs_json(const std::vector<kernel::IrqInfo>& irqs,
                      const std::vector<std::vector<std::string>>& handlers);
std::string irqs_text(const std::vector<kernel::IrqInfo>& irqs);

} // namespace kdive::cli
