// `ps`, `dmesg`, `lsmod`, `current`, `mounts`, `kmem -s`, `irq` and `timer` over QEMU's gdbstub
// on a guest with ~1000 tasks: kdive cold (caches dropped by a resume/interrupt before every run)
// and warm, against GDB with the kernel's own lx-scripts (lx-ps, lx-dmesg, lx-lsmod,
// $lx_current(), lx-mounts, lx-slabinfo, lx-interruptlist, lx-timerlist, where the kernel's
// scripts have them and they work) on the same VM, and against the same GDB commands from
// kdive's lx file (answered through kdive's relay).
//
// Usage: kernel_ps_dmesg [KERNEL] [RUNS]   (default debian-6.1-cloud, 7 runs)
#include "bench_support.hpp"
#include "cli/gdb_handoff.hpp"
#include "cli/kernel_commands.hpp"
#include "debuginfo/elf_file.hpp"
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
#include <cstring>
#include <filesystem>
#include <fmt/format.h>
#include <functional>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

using namespace kdive;
using bench::cycle;
using bench::lx_scripts;
using bench::median;
using bench::run;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int task_count = 1000;

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

// Seconds GDB spends in its lx commands, timed inside GDB so loading the vmlinux is excluded
struct GdbTiming {
    double first = 0;
    double again = 0;
};

// GDB runs the commands through a Python driver: each one's output captured (not printed), the
// whole list timed twice (the first run includes GDB expanding the symbols the scripts touch),
// and a command that fails (absent from this kernel's scripts, or a script error) reported
// rather than timed.
// Debian's gdb debugs the host's architecture only; gdb-multiarch the others (arm64).
std::string gdb_program(const std::filesystem::path& vmlinux) {
    auto info = debuginfo::ElfFile::open(vmlinux);
    const bool arm64 = info && (*info)->machine() == 183; // EM_AARCH64
    return arm64 ? "gdb-multiarch" : "gdb";
}

Result<GdbTiming> time_gdb(const std::filesystem::path& work, const std::filesystem::path& vmlinux,
                           const std::filesystem::path& script, const std::string& connect,
                           const std::vector<std::string>& commands) {
    std::string list;
    for (const auto& command : commands) {
        list += fmt::format("{}'{}'", list.empty() ? "" : ", ", command);
    }
    const auto driver = work / "time_gdb.py";
    if (auto ok = write_file_atomically(
            driver,
            fmt::format(
                "import time\nimport gdb\n"
                "def run(commands):\n"
                "    start = time.time()\n"
                "    for command in commands:\n"
                "        gdb.execute(command, to_string=True)\n"
                "    return time.time() - start\n"
                "try:\n"
                "    print('KDIVE-GDB-FIRST', run([{0}]))\n"
                "    print('KDIVE-GDB-AGAIN', run([{0}]))\n"
                "except Exception as e:\n"
                "    print('KDIVE-GDB-ERROR', (str(e) or type(e).__name__).splitlines()[0])\n",
                list));
        !ok) {
        return std::unexpected(ok.error());
    }
    auto out = run({gdb_program(vmlinux), "-batch", "-nx", "-iex", "set auto-load safe-path /",
                    vmlinux.string(), "-ex", connect, "-ex", "source " + script.string(), "-x",
                    driver.string(), "-ex", "detach"});
    if (!out) {
        return std::unexpected(out.error());
    }
    if (const auto at = out->find("KDIVE-GDB-ERROR "); at != std::string::npos) {
        return fail("{}", out->substr(at + 16, out->find('\n', at) - at - 16));
    }
    GdbTiming timing;
    for (auto [label, into] : {std::pair{"KDIVE-GDB-FIRST ", &timing.first},
                               std::pair{"KDIVE-GDB-AGAIN ", &timing.again}}) {
        auto at = out->find(label);
        if (at == std::string::npos) {
            return fail("gdb printed no timing:\n{}", *out);
        }
        *into = std::stod(out->substr(at + std::strlen(label)));
    }
    return timing;
}

// What GDB runs for each kdive command: the kernel's own lx-scripts (`kernel`), or in GDB with
// kdive's lx file, its lx-* where it has one and `kdive COMMAND` where it has not.
std::vector<std::string> gdb_equivalent(const std::string& command, int cpus, bool kernel) {
    if (command == "current") {
        std::vector<std::string> out;
        for (int cpu = 0; cpu < cpus; ++cpu) {
            out.push_back(fmt::format("p $lx_current({}).pid", cpu));
        }
        return out;
    }
    for (auto [ours, theirs] : {std::pair{"kmem -s", "lx-slabinfo"},
                                {"irq", "lx-interruptlist"},
                                {"timer", "lx-timerlist"}}) {
        if (command == ours) {
            return {kernel ? theirs : "kdive " + command};
        }
    }
    return {"lx-" + command};
}

} // namespace

int main(int argc, char** argv) {
    const std::string kernel_name = argc > 1 ? argv[1] : "debian-6.1-cloud";
    const int runs = argc > 2 ? std::max(1, std::atoi(argv[2])) : 7;
    auto setup = bench::prepare(argv[0], kernel_name, "ps", task_count);
    if (!setup) {
        fmt::print(stderr, "{}\n", setup.error().message);
        return 1;
    }
    const std::string& kdive = setup->kdive;
    const lab::BootKernel* kernel = &setup->kernel;
    const auto& work = setup->work;
    const auto& script = setup->script;
    const auto rootfs = work / "rootfs.cpio.gz";
    std::vector<std::string> rootfs_args{kdive,           "rootfs",        "-o",
                                         rootfs.string(), "--init-script", script.string()};
    // One module for lsmod to list.
    std::error_code ec;
    for (auto it = std::filesystem::recursive_directory_iterator(
             kernel->vmlinux.parent_path() / "modules", ec);
         !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
        if (it->path().filename().string().starts_with("dummy.ko")) {
            rootfs_args.insert(rootfs_args.end(), {"--module", it->path().string()});
            break;
        }
    }
    if (kernel_name.ends_with("-arm64")) {
        rootfs_args.insert(rootfs_args.end(), {"--arch", "arm64"}); // the guest's busybox
    }
    if (auto ok = run(rootfs_args); !ok) {
        fmt::print(stderr, "{}\n", ok.error().message);
        return 1;
    }
    const std::vector<std::string> commands_to_time{"ps",     "dmesg",   "lsmod", "current",
                                                    "mounts", "kmem -s", "irq",   "timer"};
    // Boots the guest with the gdbstub on `endpoint` (empty: kdive's default Unix socket) and
    // times kdive's commands; `after` runs while the VM is still up (GDB's turn).
    using Results = std::vector<Timing>;
    const auto measure =
        [&](const std::string& endpoint, const std::string& tag,
            const std::function<void(const lab::Session&)>& after) -> Result<Results> {
        const auto state = work / ("session-" + tag);
        std::vector<std::string> boot{kdive,      "boot",     "--kernel",     kernel_name,
                                      "--detach", "--state",  state.string(), "--smp",
                                      "2",        "--initrd", rootfs.string()};
        if (!endpoint.empty()) {
            boot.insert(boot.end(), {"--gdb", endpoint});
        }
        if (auto ok = run(boot); !ok) {
            return std::unexpected(ok.error());
        }
        auto stop_vm = [&] { (void)run({kdive, "stop", state.string()}); };
        auto session = lab::Session::load(state);
        if (!session) {
            stop_vm();
            return std::unexpected(session.error());
        }
        if (auto ok = lab::wait_for_console(session->console_log, "KDIVE-TASKS",
                                            std::chrono::minutes(5), session->pid);
            !ok) {
            stop_vm();
            return std::unexpected(ok.error());
        }
        Results results;
        {
            auto target = target::RspTarget::attach(*rsp::Endpoint::parse(session->gdb));
            auto info = debuginfo::DebugInfo::open(kernel->vmlinux);
            if (!target || !info) {
                stop_vm();
                return std::unexpected(!target ? target.error() : info.error());
            }
            cli::KernelCommands commands(**info, **target);
            const auto start = Clock::now();
            auto first = commands.run("version");
            if (!first || !*first) {
                stop_vm();
                return fail("version: {}", first ? first->error().message : "?");
            }
            fmt::print("{}: first command (symbols, KASLR, banner check) {:.3f} s\n", tag,
                       std::chrono::duration<double>(Clock::now() - start).count());
            for (const auto& line : commands_to_time) {
                auto timing = time_command(commands, **target, line, runs);
                if (!timing) {
                    stop_vm();
                    return std::unexpected(timing.error());
                }
                results.push_back(*timing);
            }
            (void)(*target)->detach();
        }
        after(*session);
        stop_vm();
        return results;
    };

    int status = 0;
    auto over_unix = measure("", "unix socket", [](const lab::Session&) {});
    // GDB 13 cannot open a Unix socket and a relay would slow it down: GDB and kdive meet on a
    // second VM whose stub listens on TCP.
    const std::string tcp = fmt::format("tcp:127.0.0.1:{}", 20000 + getpid() % 20000);
    const auto scripts = lx_scripts(kdive, kernel_name, kernel->vmlinux);
    std::vector<Result<GdbTiming>> gdb(commands_to_time.size(), fail("no lx-scripts"));
    // The same GDB commands answered by kdive's lx file through kdive's relay: any kernel.
    std::vector<Result<GdbTiming>> gdb_kdive(commands_to_time.size(), fail("no gdb"));
    auto over_tcp = measure(tcp, "tcp", [&](const lab::Session& session) {
        if (find_program(gdb_program(kernel->vmlinux)).empty()) {
            return;
        }
        const std::string relay = "target remote | " + kdive + " relay " + session.gdb +
                                  " --vmlinux " + kernel->vmlinux.string();
        if (auto written = cli::write_lx_script(session); written) {
            for (std::size_t i = 0; i < commands_to_time.size(); ++i) {
                gdb_kdive[i] = time_gdb(work, kernel->vmlinux, cli::lx_script_path(session), relay,
                                        gdb_equivalent(commands_to_time[i], 2, false));
            }
        }
        if (scripts.empty()) {
            return;
        }
        for (std::size_t i = 0; i < commands_to_time.size(); ++i) {
            gdb[i] =
                time_gdb(work, kernel->vmlinux, scripts, "target remote " + session.gdb.substr(4),
                         gdb_equivalent(commands_to_time[i], 2, true));
        }
    });
    if (!over_unix || !over_tcp) {
        fmt::print(stderr, "{}\n", (!over_unix ? over_unix : over_tcp).error().message);
        status = 1;
    } else {
        fmt::print("{} (QEMU TCG, 2 vCPUs, {} extra tasks); kdive: median of {} runs\n",
                   kernel_name, task_count, runs);
        fmt::print("{:<8} {:>6} {:>11} {:>11} {:>11} {:>10} {:>10} {:>9} {:>18} {:>10}\n",
                   "command", "lines", "unix cold s", "unix warm s", "tcp cold s", "GDB 1st s",
                   "GDB 2nd s", "GDB/kdive", "GDB+kdive 1st/2nd", "lx/kdive");
        for (std::size_t i = 0; i < commands_to_time.size(); ++i) {
            const Timing& unix_timing = (*over_unix)[i];
            const Timing& tcp_timing = (*over_tcp)[i];
            std::string first = "-";
            std::string again = "-";
            std::string ratio = "-";
            std::string in_gdb = "-";
            std::string lx_ratio = "-";
            if (gdb_kdive[i]) {
                in_gdb = fmt::format("{:.3f}/{:.3f}", gdb_kdive[i]->first, gdb_kdive[i]->again);
                if (gdb[i]) {
                    lx_ratio =
                        fmt::format("{:.1f}x", gdb[i]->again / std::max(gdb_kdive[i]->again, 1e-6));
                }
            } else {
                fmt::print(stderr, "GDB with kdive's lx file, {}: {}\n", commands_to_time[i],
                           gdb_kdive[i].error().message);
            }
            if (gdb[i]) {
                first = fmt::format("{:.3f}", gdb[i]->first);
                again = fmt::format("{:.3f}", gdb[i]->again);
                ratio = fmt::format("{:.0f}x", gdb[i]->again / std::max(tcp_timing.cold, 1e-6));
            } else if (!scripts.empty()) {
                fmt::print(stderr, "GDB {}: {}\n", commands_to_time[i], gdb[i].error().message);
            }
            fmt::print("{:<8} {:>6} {:>11.4f} {:>11.4f} {:>11.4f} {:>10} {:>10} {:>9} {:>18} "
                       "{:>10}\n",
                       commands_to_time[i], unix_timing.lines, unix_timing.cold, unix_timing.warm,
                       tcp_timing.cold, first, again, ratio, in_gdb, lx_ratio);
        }
        if (scripts.empty()) {
            fmt::print("GDB: no vmlinux-gdb.py for {} (set KDIVE_LX_SCRIPTS to a kernel build "
                       "tree to compare)\n",
                       kernel_name);
        } else {
            fmt::print("GDB: {}; 1st run includes GDB expanding the symbols it needs; GDB/kdive "
                       "is GDB's 2nd run over kdive cold, both over TCP\n",
                       scripts.string());
            fmt::print("GDB+kdive: the same GDB commands from kdive's lx file (up --gdb), "
                       "answered through kdive's relay, 1st/2nd run; lx/kdive is the "
                       "kernel's lx-scripts over it (2nd runs)\n");
        }
    }
    std::filesystem::remove_all(work);
    return status;
}
