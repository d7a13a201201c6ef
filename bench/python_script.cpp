// One Python script — walk every task, read its pid, comm and state and the first frame of its
// stack — run three ways on a guest with ~1000 extra tasks: (a) under kdive on an ELF vmcore
// (QEMU's paging dump, which drgn can read; `python3 SCRIPT DUMP VMLINUX`, the script calls
// kdive.attach), (b) under drgn 0.0.22 on the same vmcore (`python3 -m drgn -c DUMP -s VMLINUX
// SCRIPT`, drgn hands the script its `prog`) and (c) under kdive on the running VM, its RAM read
// directly (kdive.attach(SESSION, memory="direct")). The script is the same file each time: it uses
// drgn's helpers when drgn started it and kdive's otherwise, under the same names. Figures are wall
// seconds from start to exit, medians of RUNS after one untimed run of each (the dump in the page
// cache for both, kdive's DWARF index cached), and the seconds the walk itself took inside the
// script. Each run says how many tasks it saw (they should agree) and for how many the stack could
// not be read; the first frames kdive and drgn found on the vmcore are compared task by task.
//
// Usage: python_script [KERNEL] [RUNS]   (default debian-6.1-cloud, 3 runs)
#include "bench_support.hpp"
#include "debuginfo/elf_file.hpp"
#include "debuginfo/index_cache.hpp"
#include "support/cache_dir.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fmt/format.h>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

using namespace kdive;
using bench::median;
using bench::run;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int task_count = 1000;
constexpr int vcpus = 2;

// argv: TARGET VMLINUX [MEMORY] under kdive; nothing under drgn, which opened the program.
constexpr const char* walk_script = R"(import sys
import time

try:
    prog  # drgn's command line runs the script with the program open
    from drgn.helpers.linux.pid import for_each_task
    from drgn.helpers.linux.sched import task_state_to_char

    close = None
except NameError:
    import kdive
    from kdive import for_each_task, task_state_to_char

    memory = sys.argv[3] if len(sys.argv) > 3 else "auto"
    prog = kdive.attach(sys.argv[1], vmlinux=sys.argv[2], memory=memory)
    close = prog.close  # a live guest runs on


def first_function(frame):
    if frame.name is not None:
        return frame.name
    try:
        return frame.symbol().name  # drgn: assembly has a symbol but no DWARF name
    except Exception:
        return hex(frame.pc)


start = time.monotonic()
lines = []
failures = 0
first_error = None
for task in for_each_task(prog):
    pid = task.pid.value_()
    comm = task.comm.string_()
    state = task_state_to_char(task)
    try:
        function = first_function(prog.stack_trace(task)[0])
    except Exception as e:
        failures += 1
        first_error = first_error or f"pid {pid}: {type(e).__name__}: {e}"
        function = "-"
    lines.append(f"T {pid} {state} {function} {comm.decode(errors='replace')}")
walk = time.monotonic() - start
print("\n".join(lines))
print("PROGRAM", repr(prog))
print("TASKS", len(lines))
print("STACK-FAILURES", failures)
print("FIRST-STACK-ERROR", first_error or "")
print("WALK-SECONDS", walk)
if close:
    close()
)";

// One way of running the script.
struct Way {
    std::string label;
    std::vector<std::string> argv;
    std::vector<std::string> env;
};

// What one run of the script reported.
struct Walk {
    bool ok = false; // exit 0 and its TASKS line printed
    double seconds = 0;
    double walk_seconds = 0;
    int tasks = 0;
    int stack_failures = 0;
    std::string first_error;
    std::string program;
    std::map<long, std::string> first_frames; // pid -> first frame's function
    std::string complaint;                    // why it failed: its last line of stderr
};

std::string last_line(const std::string& text) {
    std::istringstream in(text);
    std::string line;
    std::string last;
    while (std::getline(in, line)) {
        if (!line.empty()) {
            last = line;
        }
    }
    return last;
}

// The value after "KEY " on its own line of `out`, or empty.
std::string field(const std::string& out, std::string_view key) {
    const std::string tag = "\n" + std::string(key) + " ";
    const auto at = ("\n" + out).find(tag);
    if (at == std::string::npos) {
        return {};
    }
    const auto begin = at + tag.size() - 1;
    return out.substr(begin, out.find('\n', begin) - begin);
}

Walk walk(const Way& way, const std::filesystem::path& work) {
    RunOptions options;
    options.timeout = std::chrono::minutes(5);
    options.working_dir = work.string();
    options.env = way.env;
    Walk out;
    const auto start = Clock::now();
    auto done = run_process(way.argv, options);
    out.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    if (!done) {
        out.complaint = done.error().message;
        return out;
    }
    const std::string tasks = field(done->out, "TASKS");
    out.ok = done->exit_code == 0 && !tasks.empty();
    if (!out.ok) {
        out.complaint = last_line(done->err.empty() ? done->out : done->err);
        if (out.complaint.empty()) {
            out.complaint = fmt::format("exit code {}", done->exit_code);
        }
        return out;
    }
    out.tasks = std::atoi(tasks.c_str());
    out.stack_failures = std::atoi(field(done->out, "STACK-FAILURES").c_str());
    out.first_error = field(done->out, "FIRST-STACK-ERROR");
    out.program = field(done->out, "PROGRAM");
    out.walk_seconds = std::atof(field(done->out, "WALK-SECONDS").c_str());
    std::istringstream in(done->out);
    std::string line;
    while (std::getline(in, line)) {
        if (!line.starts_with("T ")) {
            continue;
        }
        std::istringstream words(line.substr(2));
        long pid = 0;
        std::string state;
        std::string function;
        if (words >> pid >> state >> function) {
            out.first_frames[pid] = function;
        }
    }
    return out;
}

struct Measured {
    Walk last;
    std::vector<double> seconds;
    std::vector<double> walk_seconds;
};

// Waits (a minute at most) for the DWARF index of `vmlinux` to be in kdive's cache: the untimed
// run may leave it to finish in the background.
bool wait_for_index(const std::filesystem::path& vmlinux) {
    auto elf = debuginfo::ElfFile::open(vmlinux);
    if (!elf || !(*elf)->build_id()) {
        return false;
    }
    const auto index = debuginfo::index_cache_path(cache_dir(), *(*elf)->build_id());
    const auto start = Clock::now();
    while (Clock::now() - start < std::chrono::minutes(1)) {
        if (std::filesystem::exists(index)) {
            return true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
}

// One untimed run of each way, then `runs` rounds taking each way in turn: a drift in the
// machine's speed falls on all of them alike.
std::vector<Measured> measure(const std::vector<Way>& ways, int runs,
                              const std::filesystem::path& work,
                              const std::filesystem::path& vmlinux) {
    std::vector<Measured> all(ways.size());
    for (std::size_t w = 0; w < ways.size(); ++w) {
        all[w].last = walk(ways[w], work);
        if (ways[w].label.starts_with("kdive")) {
            (void)wait_for_index(vmlinux);
        }
    }
    for (int i = 0; i < runs; ++i) {
        for (std::size_t w = 0; w < ways.size(); ++w) {
            all[w].last = walk(ways[w], work);
            all[w].seconds.push_back(all[w].last.seconds);
            all[w].walk_seconds.push_back(all[w].last.walk_seconds);
        }
    }
    return all;
}

void print_row(const Way& way, const Measured& m) {
    if (!m.last.ok) {
        fmt::print("{:<30} {:>8} {:>8} {:>7} {:>15}   failed: {}\n", way.label, "n/a", "n/a", "-",
                   "-", m.last.complaint);
        return;
    }
    fmt::print("{:<30} {:>8.3f} {:>8.3f} {:>7} {:>15}\n", way.label, median(m.seconds),
               median(m.walk_seconds), m.last.tasks, m.last.stack_failures);
}

// How many tasks on both sides have the same first function, with a few that differ.
void compare_frames(const Walk& kdive, const Walk& drgn) {
    std::size_t both = 0;
    std::size_t same = 0;
    std::vector<std::string> differ;
    for (const auto& [pid, function] : kdive.first_frames) {
        const auto it = drgn.first_frames.find(pid);
        if (it == drgn.first_frames.end()) {
            continue;
        }
        ++both;
        if (it->second == function) {
            ++same;
        } else if (differ.size() < 5) {
            differ.push_back(fmt::format("pid {}: kdive {}, drgn {}", pid, function, it->second));
        }
    }
    fmt::print("first frames on the vmcore: the same function for {} of the {} tasks both saw\n",
               same, both);
    for (const auto& text : differ) {
        fmt::print("  {}\n", text);
    }
}

void report(const std::vector<Way>& ways, const std::vector<Measured>& measured,
            const std::filesystem::path& dump, int runs) {
    fmt::print("wall seconds from start to exit and seconds of the walk inside the script, "
               "medians of {} runs after an untimed one\n",
               runs);
    fmt::print("{:<30} {:>8} {:>8} {:>7} {:>15}\n", "way", "wall s", "walk s", "tasks",
               "stack failures");
    for (std::size_t w = 0; w < ways.size(); ++w) {
        print_row(ways[w], measured[w]);
    }
    for (std::size_t w = 0; w < ways.size(); ++w) {
        const Walk& last = measured[w].last;
        if (last.ok && !last.first_error.empty()) {
            fmt::print("  {}: first stack failure: {}\n", ways[w].label, last.first_error);
        }
        if (last.ok && ways[w].label.starts_with("kdive")) {
            fmt::print("  {}: {}\n", ways[w].label, last.program);
        }
    }
    std::vector<int> counts;
    for (const auto& m : measured) {
        if (m.last.ok) {
            counts.push_back(m.last.tasks);
        }
    }
    if (std::adjacent_find(counts.begin(), counts.end(), std::not_equal_to<>()) != counts.end()) {
        fmt::print("WARNING: the task counts differ (the live guest ran on after {} was "
                   "written; the vmcore's counts must agree)\n",
                   dump.filename().string());
    }
    const Measured& kdive = measured[0];
    const Measured& drgn = measured[1];
    if (kdive.last.ok && drgn.last.ok) {
        compare_frames(kdive.last, drgn.last);
        const double ratio = median(drgn.seconds) / std::max(median(kdive.seconds), 1e-9);
        fmt::print("drgn/kdive on the vmcore: {:.1f}x wall, {:.1f}x walk (target: kdive at least "
                   "2x faster: {})\n",
                   ratio, median(drgn.walk_seconds) / std::max(median(kdive.walk_seconds), 1e-9),
                   ratio >= 2 ? "met" : "missed");
    } else {
        fmt::print("drgn/kdive on the vmcore: n/a ({} failed)\n", kdive.last.ok ? "drgn" : "kdive");
    }
}

// The kdive module under test, copied: others may rebuild the tree's during the minutes this
// runs.
Result<std::filesystem::path> copy_module(const char* argv0, const std::filesystem::path& work) {
    const auto built = std::filesystem::path(argv0).parent_path() / ".." / "python" / "kdive";
    if (!std::filesystem::exists(built / "__init__.py")) {
        return fail("{}: no kdive Python module (build the kdive_python_module target)",
                    built.string());
    }
    std::error_code ec;
    std::filesystem::create_directories(work / "python" / "kdive", ec);
    std::filesystem::copy(built, work / "python" / "kdive",
                          std::filesystem::copy_options::recursive, ec);
    if (ec) {
        return fail("copying {}: {}", built.string(), ec.message());
    }
    return work / "python";
}

} // namespace

int main(int argc, char** argv) {
    const std::string kernel_name = argc > 1 ? argv[1] : "debian-6.1-cloud";
    const int runs = argc > 2 ? std::max(1, std::atoi(argv[2])) : 3;
    auto setup = bench::prepare(argv[0], kernel_name, "python", task_count);
    if (!setup) {
        fmt::print(stderr, "{}\n", setup.error().message);
        return 1;
    }
    // The kdive under test, copied, as its module is below: others may rebuild the tree's.
    const auto kdive = setup->work / "kdive";
    if (std::error_code ec; std::filesystem::copy_file(setup->kdive, kdive, ec)) {
        setup->kdive = kdive.string();
    }
    int status = 0;
    [&] {
        auto python_path = copy_module(argv[0], setup->work);
        if (!python_path) {
            fmt::print(stderr, "{}\n", python_path.error().message);
            status = 1;
            return;
        }
        const auto script = setup->work / "walk_tasks.py";
        if (auto ok = write_file_atomically(script, walk_script); !ok) {
            fmt::print(stderr, "{}\n", ok.error().message);
            status = 1;
            return;
        }
        const std::string vmlinux = setup->kernel.vmlinux.string();
        const std::string kdive_env = "PYTHONPATH=" + python_path->string();
        auto vm = bench::boot_bench_vm(*setup, kernel_name, vcpus);
        if (!vm) {
            fmt::print(stderr, "{}\n", vm.error().message);
            status = 1;
            return;
        }
        // QEMU's paging dump: drgn 0.0.22 cannot read the physical-only ELF one ("recursive
        // address translation; page table may be missing from core dump"), which has no
        // virtual address for swapper_pg_dir; the paging dump maps the kernel's addresses.
        const auto dump = setup->work / "vmcore.elf";
        const auto start = Clock::now();
        auto written = run({setup->kdive, "dump", vm->state.string(), "-o", dump.string(),
                            "--format", "elf", "--paging"});
        const double write_seconds = std::chrono::duration<double>(Clock::now() - start).count();
        if (!written) {
            fmt::print(stderr, "{}\n", written.error().message);
            (void)run({setup->kdive, "stop", vm->state.string()});
            status = 1;
            return;
        }
        fmt::print("{} (QEMU TCG, {} vCPUs, {} extra tasks; the guest counted {} in /proc, its "
                   "counting ls, wc and subshell among them)\n",
                   kernel_name, vcpus, task_count, vm->guest_tasks);
        fmt::print("{} ({} MB, written by `kdive dump --format elf --paging` in {:.1f} s)\n",
                   dump.filename().string(), std::filesystem::file_size(dump) >> 20, write_seconds);
        const std::vector<Way> ways{
            {"kdive, vmcore",
             {"/usr/bin/python3", script.string(), dump.string(), vmlinux},
             {kdive_env}},
            {"drgn 0.0.22, vmcore",
             {"/usr/bin/python3", "-m", "drgn", "-q", "-c", dump.string(), "-s", vmlinux,
              script.string()},
             {}},
            {"kdive, live (direct memory)",
             {"/usr/bin/python3", script.string(), vm->state.string(), vmlinux, "direct"},
             {kdive_env}},
        };
        // The live runs first, while the VM is up; it goes before the vmcore runs are timed:
        // TCG would take CPU from the tools.
        auto live = measure({ways[2]}, runs, setup->work, setup->kernel.vmlinux);
        (void)run({setup->kdive, "stop", vm->state.string()});
        auto measured = measure({ways[0], ways[1]}, runs, setup->work, setup->kernel.vmlinux);
        measured.push_back(live[0]);
        report(ways, measured, dump, runs);
    }();
    std::filesystem::remove_all(setup->work);
    return status;
}
