// `foreach bt` over QEMU's gdbstub on a guest with ~1000 sleeping tasks: every task's kernel
// stack unwound (ORC on x86-64, frame records on arm64), cold (page cache dropped by a
// resume/interrupt before every run) and warm, as total seconds and time per task. GDB has no
// equivalent (it unwinds vCPUs only).
//
// Usage: foreach_bt [KERNEL] [RUNS]   (default debian-6.1-cloud, 5 runs)
#include "bench_support.hpp"
#include "cli/kernel_commands.hpp"
#include "lab/boot_kernel.hpp"
#include "lab/console_log.hpp"
#include "lab/session.hpp"
#include "rsp/endpoint.hpp"
#include "support/atomic_file.hpp"
#include "support/subprocess.hpp"
#include "target/rsp_target.hpp"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

using namespace kdive;
using bench::cycle;
using bench::median;
using bench::run;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int task_count = 1000;

struct Measure {
    double cold = 0;
    double warm = 0;
    std::size_t tasks = 0;
    std::size_t groups = 0;
    std::size_t stopped_early = 0; // groups whose unwind ended with a stop reason
};

Result<Measure> measure(cli::KernelCommands& commands, target::Target& target, int runs) {
    std::vector<double> cold;
    std::vector<double> warm;
    Measure out;
    for (int i = 0; i < runs; ++i) {
        if (auto ok = cycle(target); !ok) {
            return std::unexpected(ok.error());
        }
        for (auto* into : {&cold, &warm}) {
            const auto start = Clock::now();
            auto result = commands.run("foreach bt --json");
            into->push_back(std::chrono::duration<double>(Clock::now() - start).count());
            if (!result || !*result) {
                return fail("foreach bt: {}", result ? result->error().message : "not a command");
            }
            const auto groups = nlohmann::json::parse(**result);
            out.tasks = 0;
            out.stopped_early = 0;
            for (const auto& group : groups) {
                out.tasks += group["count"].get<std::size_t>();
                out.stopped_early += group["stop_reason"].is_null() ? 0 : 1;
            }
            out.groups = groups.size();
        }
    }
    out.cold = median(cold);
    out.warm = median(warm);
    return out;
}

} // namespace

int main(int argc, char** argv) {
    const std::string kernel_name = argc > 1 ? argv[1] : "debian-6.1-cloud";
    const int runs = argc > 2 ? std::max(1, std::atoi(argv[2])) : 5;
    auto setup = bench::prepare(argv[0], kernel_name, "bt", task_count);
    if (!setup) {
        fmt::print(stderr, "{}\n", setup.error().message);
        return 1;
    }
    const std::string& kdive = setup->kdive;
    const lab::BootKernel* kernel = &setup->kernel;
    const auto& work = setup->work;
    const auto& script = setup->script;
    const auto rootfs = work / "rootfs.cpio.gz";
    // The guest's busybox: an arm64 guest cannot run the host's.
    if (auto ok = run({kdive, "rootfs", "-o", rootfs.string(), "--init-script", script.string(),
                       "--arch", std::string(lab::arch_name(kernel->arch))});
        !ok) {
        fmt::print(stderr, "{}\n", ok.error().message);
        return 1;
    }
    const auto state = work / "session";
    if (auto ok = run({kdive, "boot", "--kernel", kernel_name, "--detach", "--state",
                       state.string(), "--smp", "2", "--initrd", rootfs.string()});
        !ok) {
        fmt::print(stderr, "{}\n", ok.error().message);
        return 1;
    }
    auto session = lab::Session::load(state);
    int status = 0;
    [&] {
        if (!session) {
            fmt::print(stderr, "{}\n", session.error().message);
            status = 1;
            return;
        }
        if (auto ok = lab::wait_for_console(session->console_log, "KDIVE-TASKS",
                                            std::chrono::minutes(5), session->pid);
            !ok) {
            fmt::print(stderr, "{}\n", ok.error().message);
            status = 1;
            return;
        }
        auto target = target::RspTarget::attach(*rsp::Endpoint::parse(session->gdb));
        auto info = debuginfo::DebugInfo::open(kernel->vmlinux);
        if (!target || !info) {
            fmt::print(stderr, "{}\n", !target ? target.error().message : info.error().message);
            status = 1;
            return;
        }
        cli::KernelCommands commands(**info, **target);
        // The first unwind also loads the vmlinux ORC table: time it on its own.
        const auto start = Clock::now();
        auto first = commands.run("bt 1");
        const double first_bt = std::chrono::duration<double>(Clock::now() - start).count();
        if (!first || !*first) {
            fmt::print(stderr, "bt 1: {}\n", first ? first->error().message : "?");
            status = 1;
            return;
        }
        auto timing = measure(commands, **target, runs);
        if (!timing) {
            fmt::print(stderr, "{}\n", timing.error().message);
            status = 1;
            return;
        }
        fmt::print("{} (QEMU TCG, 2 vCPUs, {} extra tasks); median of {} runs\n", kernel_name,
                   task_count, runs);
        fmt::print("first bt (kernel view, {}, one task): {:.3f} s\n",
                   kernel->arch == lab::KernelArch::arm64 ? "frame records" : "ORC tables",
                   first_bt);
        fmt::print("foreach bt: {} tasks in {} distinct stacks ({} ended early)\n", timing->tasks,
                   timing->groups, timing->stopped_early);
        fmt::print("{:<6} {:>10} {:>14}\n", "", "total s", "per task us");
        const double tasks = static_cast<double>(std::max<std::size_t>(timing->tasks, 1));
        fmt::print("{:<6} {:>10.3f} {:>14.1f}\n", "cold", timing->cold, timing->cold / tasks * 1e6);
        fmt::print("{:<6} {:>10.3f} {:>14.1f}\n", "warm", timing->warm, timing->warm / tasks * 1e6);
        fmt::print("GDB: no equivalent (GDB unwinds only the vCPUs' current stacks)\n");
        (void)(*target)->detach();
    }();
    (void)run({kdive, "stop", state.string()});
    std::filesystem::remove_all(work);
    return status;
}
