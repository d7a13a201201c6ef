// `timer` (crash's; lx-timerlist): per online CPU its pending hrtimers (soonest first, per clock
// base) and the timers on its timer wheel, with expiry and function.
#include "cli/kernel_commands.hpp"
#include "kernel/timer_list.hpp"
#include "support/guest_text.hpp"

#include <nlohmann/json.hpp>

namespace kdive::cli {

Result<std::string> KernelCommands::timer(bool json) {
    kernel::Kernel& view = **kernel();
    auto all = kernel::read_timers(view);
    if (!all) {
        return std::unexpected(all.error());
    }
    const auto name = [&](std::uint64_t function) {
        std::string symbol = function_name(function);
        return symbol.empty() ? fmt::format("{:#x}", function) : symbol;
    };
    nlohmann::json out = nlohmann::json::array();
    std::string text;
    for (const auto& cpu : *all) {
        nlohmann::json lists = nlohmann::json::object();
        text += fmt::format("CPU {}\n  HRTIMERS ({}):\n", cpu.cpu, cpu.hrtimers.size());
        for (const auto* timers : {&cpu.hrtimers, &cpu.timers}) {
            nlohmann::json rows = nlohmann::json::array();
            const bool hr = timers == &cpu.hrtimers;
            if (!hr) {
                text += fmt::format("  TIMER WHEEL ({}):\n", cpu.timers.size());
            }
            for (const auto& timer : *timers) {
                const std::string function = name(timer.function);
                rows.push_back({{"base", timer.base},
                                {"timer", fmt::format("{:#x}", timer.timer)},
                                {"expires", timer.expires},
                                {"function", function}});
                text += fmt::format("    base {}  {:x}  expires {:>20} {}  {}\n", timer.base,
                                    timer.timer, timer.expires, hr ? "ns" : "jiffies", function);
            }
            lists[hr ? "hrtimers" : "timers"] = std::move(rows);
        }
        lists["cpu"] = cpu.cpu;
        out.push_back(std::move(lists));
    }
    return json ? dump_json(out) : text;
}

} // namespace kdive::cli
