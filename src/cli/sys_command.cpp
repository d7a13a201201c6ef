// `sys` (crash's): the system at a glance, from readers the other commands use too.
#include "cli/kernel_commands.hpp"
#include "cli/kernel_output.hpp"
#include "kernel/panic_state.hpp"
#include "kernel/per_cpu.hpp"
#include "kernel/system_summary.hpp"
#include "kernel/uptime.hpp"
#include "support/guest_text.hpp"

#include <nlohmann/json.hpp>

namespace kdive::cli {

Result<std::string> KernelCommands::sys(bool json) {
    kernel::Kernel& view = **kernel();
    auto summary = kernel::read_system_summary(view);
    if (!summary) {
        return std::unexpected(summary.error());
    }
    auto percpu = kernel::PerCpu::load(view);
    if (!percpu) {
        return std::unexpected(percpu.error());
    }
    auto all = every_task();
    if (!all) {
        return std::unexpected(all.error());
    }
    auto up = kernel::read_uptime(view);
    auto panicked = kernel::panicked_cpu(view, percpu->nr_cpu_ids());
    const int panic_cpu = panicked && *panicked ? **panicked : -1;
    const auto& load = summary->load_average;
    if (json) {
        nlohmann::json out = {
            {"nodename", guest_string(summary->nodename)},
            {"release", guest_string(summary->release)},
            {"version", guest_string(summary->version)},
            {"machine", guest_string(summary->machine)},
            {"cpus", percpu->online().size()},
            {"memory", summary->memory_bytes},
            {"uptime", up ? nlohmann::json(up->seconds) : nlohmann::json()},
            {"load_average", {load[0], load[1], load[2]}},
            {"tasks", all->size()},
            {"panic_cpu", panic_cpu >= 0 ? nlohmann::json(panic_cpu) : nlohmann::json()},
        };
        return dump_json(out);
    }
    const auto field = [](std::string_view text) {
        return terminal_text(text, TerminalText::field);
    };
    std::string uptime = "?";
    if (up) {
        const auto total = static_cast<std::uint64_t>(up->seconds);
        uptime = fmt::format("{:02}:{:02}:{:02}", total / 3600, total / 60 % 60, total % 60);
    }
    return fmt::format("        CPUS: {}\n"
                       "      UPTIME: {}\n"
                       "LOAD AVERAGE: {:.2f}, {:.2f}, {:.2f}\n"
                       "       TASKS: {}\n"
                       "    NODENAME: {}\n"
                       "     RELEASE: {}\n"
                       "     VERSION: {}\n"
                       "     MACHINE: {}\n"
                       "      MEMORY: {} MiB\n"
                       "       PANIC: {}",
                       percpu->online().size(), uptime, load[0], load[1], load[2], all->size(),
                       field(summary->nodename), field(summary->release), field(summary->version),
                       field(summary->machine), summary->memory_bytes >> 20,
                       panic_cpu >= 0 ? fmt::format("on CPU {}", panic_cpu) : std::string("-"));
}

} // namespace kdive::cli
