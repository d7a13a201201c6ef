// `ps` and `dmesg` over QEMU's gdbstub on a guest with ~1000 tasks: kdive cold (page cache
// dropped by a resume/interrupt before every run) and warm, against GDB with the kernel's
// lx-scripts when a vmlinux-gdb.py for the kernel can be found.
//
// Usage: kernel_ps_dmesg [KERNEL] [RUNS]   (default debian-6.1-cloud, 7 runs)
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
#include <cstdio>
#include <filesystem>
#include <fmt/format.h>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

using namespace kdive;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int task_count = 1000;

std::string kdive_binary(const char* argv0) {
    const auto beside = std::filesystem::path(argv0).parent_path() / ".." / "kdive";
    return std::filesystem::exists(beside) ? beside.string() : "kdive";
}

Result<std::string> run(const std::vector<std::string>& argv) {
    RunOptions options;
    options.timeout = std::chrono::minutes(5);
    auto out = run_checked(argv, options);
    if (!out) {
        return std::unexpected(out.error());
    }
    return out->out;
}

double median(std::vector<double> values) {
    std::sort(values.begin(), values.end());
    return values.empty() ? 0 : values[values.size() / 2];
}

// Lets the guest run a moment and stops it again: the Target drops its page cache on resume.
Result<> cycle(target::Target& target) {
    if (auto ok = target.resume(); !ok) {
        return ok;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (auto ok = target.interrupt(); !ok) {
        return ok;
    }
    auto stop = target.wait_for_stop(std::chrono::seconds(10));
    if (!stop || !*stop) {
        return fail("the guest did not stop");
    }
    return {};
}

struct Timing {
    double cold = 0;
    double warm = 0;
    std::size_t lines = 0;
};

Result<Timing> time_command(cli::KernelCommands& commands, target::Target& target,
                            const std::string& line, int runs) {
    std::vector<double> cold;
    std::vector<double> warm;
    std::size_t lines = 0;
    for (int i = 0; i < runs; ++i) {
        if (auto ok = cycle(target); !ok) {
            return std::unexpected(ok.error());
        }
        for (auto* into : {&cold, &warm}) {
            const auto start = Clock::now();
            auto out = commands.run(line);
            into->push_back(std::chrono::duration<double>(Clock::now() - start).count());
            if (!out || !*out) {
                return fail("{}: {}", line, out ? out->error().message : "not a kernel command");
            }
            lines = static_cast<std::size_t>(std::count((*out)->begin(), (*out)->end(), '\n'));
        }
    }
    return Timing{median(cold), median(warm), lines};
}

// vmlinux-gdb.py beside the vmlinux, or in a kernel build tree named by $KDIVE_LX_SCRIPTS.
std::filesystem::path lx_scripts(const std::filesystem::path& vmlinux) {
    if (const char* dir = std::getenv("KDIVE_LX_SCRIPTS")) {
        return std::filesystem::path(dir) / "vmlinux-gdb.py";
    }
    auto beside = vmlinux.parent_path() / "vmlinux-gdb.py";
    return std::filesystem::exists(beside) ? beside : std::filesystem::path();
}

// Seconds GDB spends in one lx command, timed inside GDB so loading the vmlinux is excluded.
Result<double> time_gdb(const std::filesystem::path& vmlinux, const std::filesystem::path& script,
                        const std::string& gdb_endpoint, const std::string& command) {
    const std::string remote =
        gdb_endpoint.starts_with("unix:") ? gdb_endpoint.substr(5) : gdb_endpoint.substr(4);
    auto out = run({"gdb", "-batch", "-nx", vmlinux.string(), "-ex", "source " + script.string(),
                    "-ex", "target remote " + remote, "-ex", "python import time; t0=time.time()",
                    "-ex", command + " > /dev/null", "-ex",
                    "python print('KDIVE-GDB-SECONDS', time.time()-t0)", "-ex", "detach"});
    if (!out) {
        return std::unexpected(out.error());
    }
    auto at = out->find("KDIVE-GDB-SECONDS ");
    if (at == std::string::npos) {
        return fail("gdb printed no timing:\n{}", *out);
    }
    return std::stod(out->substr(at + 18));
}

} // namespace

int main(int argc, char** argv) {
    const std::string kernel_name = argc > 1 ? argv[1] : "debian-6.1-cloud";
    const int runs = argc > 2 ? std::max(1, std::atoi(argv[2])) : 7;
    const std::string kdive = kdive_binary(argv[0]);
    auto kernel = lab::resolve_boot_kernel(kernel_name);
    if (!kernel) {
        fmt::print(stderr, "{}\n", kernel.error().message);
        return 1;
    }
    const auto work =
        std::filesystem::temp_directory_path() / fmt::format("kdive-bench-ps-{}", getpid());
    std::filesystem::create_directories(work);
    const auto script = work / "tasks.sh";
    (void)write_file_atomically(
        script, fmt::format("#!/bin/sh\ni=0\nwhile [ $i -lt {} ]; do sleep 1000 & i=$((i+1)); "
                            "done\necho \"KDIVE-TASKS: $(ls -d /proc/[0-9]* | wc -l)\"\n",
                            task_count));
    const auto rootfs = work / "rootfs.cpio.gz";
    if (auto ok = run({kdive, "rootfs", "-o", rootfs.string(), "--init-script", script.string()});
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
        const auto start = Clock::now();
        auto first = commands.run("version");
        const double setup = std::chrono::duration<double>(Clock::now() - start).count();
        if (!first || !*first) {
            fmt::print(stderr, "version: {}\n", first ? first->error().message : "?");
            status = 1;
            return;
        }
        fmt::print("{} (QEMU TCG, 2 vCPUs, {} extra tasks); median of {} runs\n", kernel_name,
                   task_count, runs);
        fmt::print("first command (symbols, KASLR, banner check): {:.3f} s\n", setup);
        fmt::print("{:<8} {:>7} {:>12} {:>12} {:>16}\n", "command", "lines", "kdive cold s",
                   "kdive warm s", "GDB+lx-scripts s");
        std::vector<std::pair<std::string, Timing>> results;
        for (const std::string line : {"ps", "dmesg"}) {
            auto timing = time_command(commands, **target, line, runs);
            if (!timing) {
                fmt::print(stderr, "{}\n", timing.error().message);
                status = 1;
                return;
            }
            results.emplace_back(line, *timing);
        }
        (void)(*target)->detach();
        target->reset();
        const auto scripts = lx_scripts(kernel->vmlinux);
        for (const auto& [line, timing] : results) {
            std::string gdb = "unavailable";
            if (!scripts.empty() && !find_program("gdb").empty()) {
                auto seconds = time_gdb(kernel->vmlinux, scripts, session->gdb, "lx-" + line);
                gdb = seconds ? fmt::format("{:.3f}", *seconds) : "failed";
            }
            fmt::print("{:<8} {:>7} {:>12.4f} {:>12.4f} {:>16}\n", line, timing.lines, timing.cold,
                       timing.warm, gdb);
        }
        if (scripts.empty()) {
            fmt::print("GDB: no vmlinux-gdb.py for {} (Debian ships no lx-scripts; set "
                       "KDIVE_LX_SCRIPTS to a kernel build tree to compare)\n",
                       kernel_name);
        }
    }();
    (void)run({kdive, "stop", state.string()});
    std::filesystem::remove_all(work);
    return status;
}
