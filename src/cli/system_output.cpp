// Guest names go through json_text or terminal_text where they are placed.
#include "cli/system_output.hpp"

#include "support/guest_text.hpp"

#include <fmt/core.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace kdive::cli {

namespace {

using Json = nlohmann::json;

std::string joined_actions(const kernel::IrqInfo& irq) {
    std::string out;
    for (const auto& action : irq.actions) {
        out += (out.empty() ? "" : ", ") + action;
    }
    return out;
}

} // namespace

std::string irqs_json(const std::vector<kernel::IrqInfo>& irqs,
                      const std::vector<std::vector<std::string>>& handlers) {
    Json out = Json::array();
    for (std::size_t i = 0; i < irqs.size(); ++i) {
        const auto& irq = irqs[i];
        Json actions = Json::array();
        for (const auto& action : irq.actions) {
            actions.push_back(json_text(action));
        }
        out.push_back({{"irq", irq.irq},
                       {"name", json_text(joined_actions(irq))},
                       {"chip", json_text(irq.chip)},
                       {"hwirq", irq.hwirq},
                       {"flow", json_text(irq.flow)},
                       {"trigger", irq.level ? "level" : "edge"},
                       {"actions", actions},
                       {"handlers", i < handlers.size() ? Json(handlers[i]) : Json::array()},
                       {"cpus", irq.cpus},
                       {"counts", irq.counts},
                       {"desc", fmt::format("{:#x}", irq.desc)}});
    }
    return dump_json(out);
}

std::string irqs_text(const std::vector<kernel::IrqInfo>& irqs) {
    std::string out = "    ";
    if (!irqs.empty()) {
        for (const int cpu : irqs.front().cpus) {
            out += fmt::format("{:>11}", fmt::format("CPU{}", cpu));
        }
    }
    out += "\n";
    for (const auto& irq : irqs) {
        out += fmt::format("{:>3}: ", irq.irq);
        for (const auto count : irq.counts) {
            out += fmt::format("{:>10} ", count);
        }
        out += fmt::format("{:>8}", terminal_text(irq.chip, TerminalText::field));
        const std::string flow = terminal_text(irq.flow, TerminalText::field);
        if (irq.shows_trigger) {
            // arm64's /proc: "GICv3  27 Level     arch_timer", the flow name after a '-'.
            out += irq.has_domain ? fmt::format(" {:>3}", irq.hwirq) : "    ";
            out += fmt::format(" {:<8}", irq.level ? "Level" : "Edge");
            out += flow.empty() ? "" : fmt::format("-{:<8}", flow);
        } else {
            out += irq.has_domain ? fmt::format(" {:>3}-{:<8}", irq.hwirq, flow)
                                  : fmt::format(" {:<12}", flow);
        }
        out += fmt::format("  {}\n", terminal_text(joined_actions(irq), TerminalText::field));
    }
    return out;
}

} // namespace kdive::cli
