// `irq [IRQ]` (crash's; lx-interruptlist): the interrupt descriptors as /proc/interrupts shows
// them, with each action's handler.
#include "cli/kernel_commands.hpp"
#include "cli/system_output.hpp"
#include "kernel/irq_table.hpp"
#include "support/text.hpp"

#include <algorithm>

namespace kdive::cli {

Result<std::string> KernelCommands::irq(std::vector<std::string>& args, bool json) {
    if (args.size() > 1) {
        return fail_as(ErrorKind::invalid_input, "usage: irq [IRQ]");
    }
    kernel::Kernel& view = **kernel();
    auto irqs = kernel::read_irqs(view);
    if (!irqs) {
        return std::unexpected(irqs.error());
    }
    if (!args.empty()) {
        auto number = parse_unsigned(args.front());
        if (!number) {
            return fail_as(ErrorKind::invalid_input, "irq: {} is not an IRQ number", args.front());
        }
        std::erase_if(*irqs, [&](const auto& irq) { return irq.irq != *number; });
        if (irqs->empty()) {
            return fail_as(ErrorKind::invalid_input, "irq: IRQ {} has no action and no count",
                           *number);
        }
    }
    if (!json) {
        return irqs_text(*irqs);
    }
    std::vector<std::vector<std::string>> handlers;
    for (const auto& irq : *irqs) {
        auto& names = handlers.emplace_back();
        for (const auto handler : irq.handlers) {
            std::string name = function_name(handler);
            names.push_back(name.empty() ? fmt::format("{:#x}", handler) : name);
        }
    }
    return irqs_json(*irqs, handlers);
}

} // namespace kdive::cli
