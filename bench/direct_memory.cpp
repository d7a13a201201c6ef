// `ps`, `dmesg`, `foreach bt`, `p init_task`, `kmem -s`, `kmem ADDR`, `files`, `vm` and a walk of
// a 100 000-entry list (the root file system's inodes) on a guest with ~1000 tasks, memory read
// through QEMU's gdbstub against memory read from the guest's RAM mapped into kdive (the memfd
// `kdive boot` gives QEMU; kernel-virtual addresses translated by kdive through the page tables),
// on the same VM and the same target. Every timed run starts at a fresh stop: a resume/interrupt
// bumps the stop generation, so the target's page cache, the page-table walker's and every kernel
// cache keyed by the generation are empty, while the process is warm (debug info, types and ORC
// tables loaded by an untimed first run of each command). At one more stop each command's answer
// from direct memory is compared with the stub's.
//
// Usage: direct_memory [KERNEL] [RUNS]   (default debian-6.1-cloud, 7 runs)
#include "arch/x86_64/kernel_page_tables.hpp"
#include "bench_support.hpp"
#include "cli/eval_commands.hpp"
#include "cli/kernel_commands.hpp"
#include "lab/guest_ram_source.hpp"
#include "rsp/endpoint.hpp"
#include "support/cache_dir.hpp"
#include "target/rsp_target.hpp"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fmt/format.h>
#include <memory>
#include <optional>
#include <string>
#include <vector>

using namespace kdive;
using bench::cycle;
using bench::median;
using bench::run;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int task_count = 1000;
constexpr int file_count = 100'000; // inodes on the root file system's s_inodes list

// What `kdive attach` answers these commands with: the kernel commands, then the expression
// commands with the kernel's view (as cli/debugger_stack.cpp wires them).
class CommandSet {
public:
    CommandSet(debuginfo::DebugInfo& info, target::Target& target)
        : kernel_(info, target), eval_(info, &kernel_.memory(), &kernel_.memory()) {
        kernel_.serve(eval_);
    }

    Result<std::string> run(const std::string& line) {
        if (auto out = kernel_.run(line)) {
            return *out;
        }
        if (auto out = eval_.run(line)) {
            return *out;
        }
        return fail("{}: not a command", line);
    }

private:
    cli::KernelCommands kernel_;
    cli::EvalCommands eval_;
};

struct Question {
    std::string line;
    std::optional<double> target_ms; // the target with direct memory
    std::string label = line;        // the table's name for it
};

struct Timing {
    double seconds = 0;
    std::size_t lines = 0;
};

// Lines of an answer, the last one counted without its newline too (print has none).
std::size_t count_lines(const std::string& text) {
    const auto newlines = static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
    return newlines + (text.empty() || text.ends_with('\n') ? 0 : 1);
}

// The median of `runs` answers, each at a fresh stop.
Result<Timing> time_at_fresh_stops(CommandSet& commands, target::Target& target,
                                   const std::string& line, int runs) {
    std::vector<double> seconds;
    std::size_t lines = 0;
    for (int i = 0; i < runs; ++i) {
        if (auto ok = cycle(target); !ok) {
            return std::unexpected(ok.error());
        }
        const auto start = Clock::now();
        auto out = commands.run(line);
        seconds.push_back(std::chrono::duration<double>(Clock::now() - start).count());
        if (!out) {
            return fail("{}: {}", line, out.error().message);
        }
        lines = count_lines(*out);
    }
    return Timing{median(seconds), lines};
}

// An untimed first answer: loads what the process keeps (symbols, types, ORC, the kernel view).
Result<> warm_up(CommandSet& commands, const std::vector<Question>& questions) {
    for (const auto& question : questions) {
        if (auto out = commands.run(question.line); !out) {
            return fail("{}: {}", question.line, out.error().message);
        }
    }
    return {};
}

// "$3 = {...}" and "$7 = {...}" are the same answer: the history number counts earlier prints.
std::string without_history_number(std::string text) {
    if (text.starts_with("$")) {
        if (const auto at = text.find(" = "); at != std::string::npos) {
            text.erase(0, at);
        }
    }
    return text;
}

// "yes", or where the two answers first differ.
std::string compare_answers(const std::string& direct, const std::string& stub) {
    const auto a = without_history_number(direct);
    const auto b = without_history_number(stub);
    if (a == b) {
        return "yes";
    }
    std::size_t line = 1;
    for (std::size_t i = 0; i < std::min(a.size(), b.size()) && a[i] == b[i]; ++i) {
        line += a[i] == '\n' ? 1 : 0;
    }
    return fmt::format("no (line {}; {} vs {} lines)", line, count_lines(a), count_lines(b));
}

Result<> use_direct_memory(target::RspTarget& target, const lab::Session& session) {
    auto ram = lab::map_guest_ram(session);
    if (!ram) {
        return std::unexpected(ram.error());
    }
    target.set_direct_memory(
        std::move(*ram), std::make_unique<arch::x86_64::KernelPageTables>(target, std::nullopt));
    return {};
}

struct Row {
    Timing stub;
    Timing direct;
    std::string same;
};

Result<std::vector<Row>> measure(const lab::Session& session, const std::filesystem::path& vmlinux,
                                 const std::vector<Question>& questions, int runs, double& map_ms,
                                 std::uint64_t& ram_mib) {
    auto target = target::RspTarget::attach(*rsp::Endpoint::parse(session.gdb));
    if (!target) {
        return std::unexpected(target.error());
    }
    debuginfo::DebugInfoOptions options;
    options.cache_root = cache_dir();
    auto info = debuginfo::DebugInfo::open(vmlinux, options);
    if (!info) {
        return std::unexpected(info.error());
    }
    std::vector<Row> rows(questions.size());
    // Over the stub first: its own command objects, warmed once.
    CommandSet stub(**info, **target);
    if (auto ok = warm_up(stub, questions); !ok) {
        return std::unexpected(ok.error());
    }
    for (std::size_t i = 0; i < questions.size(); ++i) {
        auto timing = time_at_fresh_stops(stub, **target, questions[i].line, runs);
        if (!timing) {
            return std::unexpected(timing.error());
        }
        rows[i].stub = *timing;
    }
    // Then the same target with the guest's RAM mapped.
    const auto start = Clock::now();
    if (auto ok = use_direct_memory(**target, session); !ok) {
        return std::unexpected(ok.error());
    }
    map_ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    ram_mib = (*target)->direct_memory()->size() >> 20;
    CommandSet direct(**info, **target);
    if (auto ok = warm_up(direct, questions); !ok) {
        return std::unexpected(ok.error());
    }
    for (std::size_t i = 0; i < questions.size(); ++i) {
        auto timing = time_at_fresh_stops(direct, **target, questions[i].line, runs);
        if (!timing) {
            return std::unexpected(timing.error());
        }
        rows[i].direct = *timing;
    }
    // One stop, both answers: direct memory first, then the mapping dropped and the stub asked
    // (the stub's command objects last ran at an older stop, so they read everything again).
    for (std::size_t i = 0; i < questions.size(); ++i) {
        if (auto ok = cycle(**target); !ok) {
            return std::unexpected(ok.error());
        }
        auto from_ram = direct.run(questions[i].line);
        (*target)->set_direct_memory(nullptr, nullptr);
        auto from_stub = stub.run(questions[i].line);
        if (!from_ram || !from_stub) {
            return fail("{}: {}", questions[i].line,
                        (!from_ram ? from_ram : from_stub).error().message);
        }
        rows[i].same = compare_answers(*from_ram, *from_stub);
        if (auto ok = use_direct_memory(**target, session); !ok) {
            return std::unexpected(ok.error());
        }
    }
    (void)(*target)->detach();
    return rows;
}

} // namespace

int main(int argc, char** argv) {
    const std::string kernel_name = argc > 1 ? argv[1] : "debian-6.1-cloud";
    const int runs = argc > 2 ? std::max(1, std::atoi(argv[2])) : 7;
    auto setup = bench::prepare(argv[0], kernel_name, "direct", task_count, file_count);
    if (!setup) {
        fmt::print(stderr, "{}\n", setup.error().message);
        return 1;
    }
    auto vm = bench::boot_bench_vm(*setup, kernel_name);
    if (!vm) {
        fmt::print(stderr, "{}\n", vm.error().message);
        std::filesystem::remove_all(setup->work);
        return 1;
    }
    const std::vector<Question> questions{{"ps", 5.0},
                                          {"dmesg", std::nullopt},
                                          {"foreach bt", 10.0},
                                          {"p init_task", std::nullopt},
                                          {"kmem -s", std::nullopt},
                                          {"kmem $lx_task_by_pid(1)", std::nullopt},
                                          {"files 1", std::nullopt},
                                          {"vm 1", std::nullopt},
                                          {bench::inode_list_walk, std::nullopt, "list (inodes)"}};
    double map_ms = 0;
    std::uint64_t ram_mib = 0;
    auto rows = measure(vm->session, setup->kernel.vmlinux, questions, runs, map_ms, ram_mib);
    (void)run({setup->kdive, "stop", vm->state.string()});
    std::filesystem::remove_all(setup->work);
    if (!rows) {
        fmt::print(stderr, "{}\n", rows.error().message);
        return 1;
    }
    fmt::print("{} (QEMU TCG, 2 vCPUs, {} extra tasks; the guest counted {} in /proc); median of "
               "{} runs, each at a fresh stop with the process warm\n",
               kernel_name, task_count, vm->guest_tasks, runs);
    fmt::print("direct memory: {} MiB of guest RAM mapped from QEMU's memfd in {:.1f} ms\n",
               ram_mib, map_ms);
    fmt::print("{:<24} {:>6} {:>9} {:>10} {:>12} {:>20}  {}\n", "command", "lines", "stub ms",
               "direct ms", "stub/direct", "target (direct)", "same answer at one stop");
    for (std::size_t i = 0; i < questions.size(); ++i) {
        const Row& row = (*rows)[i];
        const double direct_ms = row.direct.seconds * 1e3;
        std::string target = "-";
        if (questions[i].target_ms) {
            target = fmt::format("<= {:.0f} ms ({})", *questions[i].target_ms,
                                 direct_ms <= *questions[i].target_ms ? "met" : "missed");
        }
        fmt::print("{:<24} {:>6} {:>9.2f} {:>10.2f} {:>11.1f}x {:>20}  {}\n", questions[i].label,
                   row.direct.lines, row.stub.seconds * 1e3, direct_ms,
                   row.stub.seconds / std::max(row.direct.seconds, 1e-9), target, row.same);
    }
    return 0;
}
