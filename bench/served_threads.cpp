// GDB through `kdive serve` on a guest with ~1000 extra tasks: `info threads` (every task a
// thread, with its frame 0) and `thread apply all bt` (GDB's own unwinder on every task),
// total and per task, with guest memory read directly and through QEMU's stub. The peer:
// GDB with the kernel's lx-scripts over QEMU's stub, whose lx-ps only lists the tasks (GDB
// cannot select or unwind a task there). Times are GDB's own, measured inside GDB, with a fresh
// GDB and server per run.
//
// Usage: served_threads [KERNEL] [RUNS]   (default debian-6.1-cloud, 3 runs)
#include "bench_support.hpp"
#include "support/atomic_file.hpp"

#include <cstring>
#include <fmt/format.h>
#include <map>

using namespace kdive;
using bench::median;
using bench::run;

namespace {

constexpr int task_count = 1000;

// GDB's timings of the driver's labelled steps ("KDIVE-T info_threads 0.123").
Result<std::map<std::string, double>> gdb_timings(const std::filesystem::path& driver,
                                                  const std::vector<std::string>& gdb_args) {
    std::vector<std::string> argv{"gdb", "-batch", "-nx", "-iex", "set auto-load safe-path /"};
    argv.insert(argv.end(), gdb_args.begin(), gdb_args.end());
    argv.insert(argv.end(), {"-x", driver.string(), "-ex", "detach"});
    auto out = run(argv);
    if (!out) {
        return std::unexpected(out.error());
    }
    std::map<std::string, double> timings;
    std::istringstream lines(*out);
    for (std::string line; std::getline(lines, line);) {
        if (line.starts_with("KDIVE-ERROR ")) {
            return fail("{}", line.substr(12));
        }
        if (line.starts_with("KDIVE-T ")) {
            std::istringstream fields(line.substr(8));
            std::string label;
            double value = 0;
            fields >> label >> value;
            timings[label] = value;
        }
    }
    if (timings.empty()) {
        return fail("gdb printed no timing:\n{}", *out);
    }
    return timings;
}

// A GDB Python driver that runs each (label, command) step with its output captured, prints
// how long it took, then the number of threads.
Result<std::filesystem::path>
write_driver(const std::filesystem::path& work, const std::string& name,
             const std::vector<std::pair<std::string, std::string>>& steps) {
    std::string body = "import time\nimport gdb\ntry:\n";
    for (const auto& [label, command] : steps) {
        body += fmt::format("    start = time.time()\n"
                            "    gdb.execute('{}', to_string=True)\n"
                            "    print('KDIVE-T {} %f' % (time.time() - start))\n",
                            command, label);
    }
    body += "    print('KDIVE-T threads %d' % len(gdb.selected_inferior().threads()))\n"
            "except Exception as e:\n"
            "    print('KDIVE-ERROR', (str(e) or type(e).__name__).splitlines()[0])\n";
    const auto path = work / (name + ".py");
    if (auto ok = write_file_atomically(path, body); !ok) {
        return std::unexpected(ok.error());
    }
    return path;
}

} // namespace

int main(int argc, char** argv) {
    const std::string kernel_name = argc > 1 ? argv[1] : "debian-6.1-cloud";
    const int runs = argc > 2 ? std::max(1, std::atoi(argv[2])) : 3;
    auto setup = bench::prepare(argv[0], kernel_name, "serve", task_count);
    if (!setup) {
        fmt::print(stderr, "{}\n", setup.error().message);
        return 1;
    }
    auto vm = bench::boot_bench_vm(*setup, kernel_name);
    if (!vm) {
        fmt::print(stderr, "{}\n", vm.error().message);
        return 1;
    }
    const std::string& kdive = setup->kdive;
    const std::string vmlinux = setup->kernel.vmlinux.string();
    int status = 0;
    [&] {
        // Each command twice: the second finds GDB's own caches (registers, frames) warm.
        auto served = write_driver(setup->work, "served",
                                   {{"info", "info threads"},
                                    {"bt", "thread apply all bt"},
                                    {"info_again", "info threads"},
                                    {"bt_again", "thread apply all bt"}});
        if (!served) {
            fmt::print(stderr, "{}\n", served.error().message);
            status = 1;
            return;
        }
        struct Row {
            std::string label;
            std::string memory;
            std::map<std::string, std::vector<double>> times;
            double threads = 0;
        };
        std::vector<Row> rows{{"kdive serve, direct memory", "auto", {}, 0},
                              {"kdive serve, memory via QEMU's stub", "stub", {}, 0}};
        for (int i = 0; i < runs; ++i) {
            for (auto& row : rows) {
                auto timings = gdb_timings(
                    *served, {vmlinux, "-ex",
                              fmt::format("target remote | {} serve {} --stdio --memory {}", kdive,
                                          vm->state.string(), row.memory)});
                if (!timings) {
                    fmt::print(stderr, "{}: {}\n", row.label, timings.error().message);
                    status = 1;
                    return;
                }
                for (const auto& [label, seconds] : *timings) {
                    row.times[label].push_back(seconds);
                }
                row.threads = (*timings)["threads"];
            }
        }
        fmt::print("{} (QEMU TCG, 2 vCPUs, {} extra tasks, {} in the guest); median of {} runs\n",
                   kernel_name, task_count, vm->guest_tasks, runs);
        fmt::print("{:<38} {:>8} {:>12} {:>12} {:>14} {:>14}\n", "GDB through", "threads",
                   "info thr s", "all bt s", "info us/task", "bt us/task");
        for (auto& row : rows) {
            const double n = std::max(row.threads, 1.0);
            const double info = median(row.times["info"]);
            const double bt = median(row.times["bt"]);
            fmt::print("{:<38} {:>8.0f} {:>12.3f} {:>12.3f} {:>14.0f} {:>14.0f}\n", row.label,
                       row.threads, info, bt, info / n * 1e6, bt / n * 1e6);
            fmt::print("{:<38} {:>8} {:>12.3f} {:>12.3f}   (again, GDB's caches warm)\n", "", "",
                       median(row.times["info_again"]), median(row.times["bt_again"]));
        }
        // The peer: the kernel's lx-ps over QEMU's stub lists the tasks; it has no per-task
        // registers, so no bt.
        const auto scripts = bench::lx_scripts(kdive, kernel_name, setup->kernel.vmlinux);
        if (scripts.empty()) {
            fmt::print("GDB + lx-scripts: none for this kernel\n");
            return;
        }
        auto peer = write_driver(setup->work, "peer", {{"lx-ps", "lx-ps"}});
        if (!peer) {
            status = 1;
            return;
        }
        std::vector<double> lx;
        for (int i = 0; i < runs; ++i) {
            auto timings = gdb_timings(
                *peer,
                {vmlinux, "-ex", fmt::format("target remote | {} relay {}", kdive, vm->session.gdb),
                 "-ex", "source " + scripts.string()});
            if (!timings) {
                fmt::print("GDB + lx-scripts lx-ps: {}\n", timings.error().message);
                return;
            }
            lx.push_back((*timings)["lx-ps"]);
        }
        const double ours = median(rows[0].times["info"]);
        fmt::print("GDB + lx-scripts over QEMU's stub, lx-ps (list only): {:.3f} s; kdive serve's "
                   "info threads (list, names and every task's frame 0) is {:.1f}x faster\n",
                   median(lx), ours > 0 ? median(lx) / ours : 0.0);
    }();
    (void)run({kdive, "stop", vm->state.string()});
    std::filesystem::remove_all(setup->work);
    return status;
}
