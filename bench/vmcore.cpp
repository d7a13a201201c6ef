// The vmcores `kdive dump` writes of a guest with ~1000 tasks (ELF and kdump-zlib by QEMU,
// kdump-lzo by kdive), opened the way a user meets them: every question a process started from
// scratch. kdive (`kdive attach DUMP --batch -ex ...`, its DWARF index in the cache) against
// drgn 0.0.22 (`python3 -m drgn -c DUMP -s VMLINUX SCRIPT`, a script per question) and crash
// 8.0.2 (`crash -s VMLINUX DUMP -i FILE`, the question then `quit`). Each tool opens each dump
// once untimed first: the dump is then in the page cache for all three, and kdive's DWARF index
// is cached (built by that run when it was not). Figures are wall seconds from start to exit,
// medians of RUNS (crash, seconds a question: three at most). What each got right is counted
// from its output: tasks listed, printk records (kdive's from `dmesg --json`: its text gives each
// line of a multi-line record the record's timestamp, as the kernel's syslog format does), CPUs
// whose stack was unwound to its base, slab caches (kmem -s; drgn's script counts as
// /proc/slabinfo does), init's open files and mappings. A peer that fails gets its error printed
// and n/a.
//
// Usage: vmcore [KERNEL] [RUNS]   (default debian-6.1-cloud, 5 runs)
#include "bench_support.hpp"
#include "debuginfo/elf_file.hpp"
#include "debuginfo/index_cache.hpp"
#include "support/cache_dir.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <filesystem>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

using namespace kdive;
using bench::median;
using bench::run;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int task_count = 1000;
constexpr int file_count = 100'000; // the root file system's inodes: the long list
constexpr int vcpus = 2;

enum class Tool { kdive, drgn, crash };
constexpr std::array tools{Tool::kdive, Tool::drgn, Tool::crash};

std::string_view name_of(Tool tool) {
    switch (tool) {
    case Tool::kdive:
        return "kdive";
    case Tool::drgn:
        return "drgn";
    case Tool::crash:
        return "crash";
    }
    return "?";
}

// One question, as each tool asks it.
struct Question {
    std::string label;
    std::string kdive;  // -ex command
    std::string drgn;   // script body (`prog` is the program)
    std::string crash;  // crash command
    std::string counts; // what the output is counted in
};

const std::vector<Question>& questions() {
    static const std::vector<Question> all{
        {"first answer", "p init_task.comm", "print(prog['init_task'].comm.string_().decode())\n",
         "p init_task.comm", "answer"},
        {"ps", "ps",
         "from drgn.helpers.linux.pid import for_each_task\n"
         "for t in for_each_task(prog):\n"
         "    print(t.pid.value_(), t.comm.string_().decode())\n",
         "ps", "tasks"},
        {"dmesg", "dmesg",
         "from drgn.helpers.linux.printk import get_printk_records\n"
         "for r in get_printk_records(prog):\n"
         "    s, ns = divmod(r.timestamp, 1000000000)\n"
         "    print(f'[{s:5}.{ns // 1000:06}] {r.text.decode(errors=\"replace\")}')\n",
         "log", "records"},
        {"bt -a", "bt -a",
         "from drgn.helpers.linux.cpumask import for_each_online_cpu\n"
         "from drgn.helpers.linux.percpu import per_cpu\n"
         "for cpu in for_each_online_cpu(prog):\n"
         "    task = per_cpu(prog['runqueues'], cpu).curr\n"
         "    print(f'CPU {cpu} (pid {task.pid.value_()} {task.comm.string_().decode()}):')\n"
         "    print(prog.stack_trace(task))\n",
         "bt -a", "stacks"},
        // /proc/slabinfo's counts, the way an expert writes them in drgn: the node counters
        // and the free objects of the partial slabs.
        {"kmem -s", "kmem -s",
         "from drgn.helpers.linux.slab import for_each_slab_cache\n"
         "from drgn.helpers.linux.list import list_for_each_entry\n"
         "try:\n"
         "    prog.type('struct slab').member('slab_list')\n"
         "    kind = 'struct slab'\n"
         "except LookupError:\n"
         "    kind = 'struct page'\n"
         "nodes = prog['nr_node_ids'].value_()\n"
         "for s in for_each_slab_cache(prog):\n"
         "    objects = slabs = free = 0\n"
         "    for i in range(nodes):\n"
         "        n = s.node[i]\n"
         "        if not n:\n"
         "            continue\n"
         "        slabs += n.nr_slabs.counter.value_()\n"
         "        objects += n.total_objects.counter.value_()\n"
         "        for p in list_for_each_entry(kind, n.partial.address_of_(), 'slab_list'):\n"
         "            free += p.objects.value_() - p.inuse.value_()\n"
         "    print(f'{s.value_():016x} {s.size.value_()} {objects - free} {objects} {slabs} '\n"
         "          f'{s.name.string_().decode()}')\n",
         "kmem -s", "caches"},
        {"files 1", "files 1",
         "from drgn.helpers.linux.pid import find_task\n"
         "from drgn.helpers.linux.fs import for_each_file, d_path\n"
         "for fd, f in for_each_file(find_task(prog, 1)):\n"
         "    print(fd, f'{f.value_():016x}', d_path(f.f_path).decode(errors='replace'))\n",
         "files 1", "files"},
        // What an address is: pid 1's task_struct, a slab object. crash's kmem takes only a
        // typed-out address, which a script cannot give it: crash is asked the nearest
        // question it answers alone, the task_struct cache.
        {"kmem ADDR", "kmem $lx_task_by_pid(1)",
         "from drgn.helpers.linux.pid import find_task\n"
         "from drgn.helpers.linux.slab import slab_object_info\n"
         "o = slab_object_info(prog, find_task(prog, 1).value_())\n"
         "print(o.slab_cache.name.string_().decode(), hex(o.address), o.allocated)\n",
         "kmem -s task_struct", "objects"},
        // A 100 000-entry list: every inode of the root file system. crash's list needs the
        // head's address typed out: kdive reads it from the live guest ({s_inodes}).
        {"list (inodes)", bench::inode_list_walk,
         "from drgn.helpers.linux.list import list_for_each_entry\n"
         "sb = prog['init_task'].fs.root.mnt.mnt_sb\n"
         "for i in list_for_each_entry('struct inode', sb.s_inodes.address_of_(), "
         "'i_sb_list'):\n"
         "    print(f'{i.value_():016x}')\n",
         "list -H {s_inodes} -o inode.i_sb_list", "entries"},
        {"vm 1", "vm 1",
         "raise SystemExit('drgn 0.0.22 has no VMA or maple tree helper (for_each_vma came "
         "later)')\n",
         "vm 1", "mappings"},
    };
    return all;
}

struct Answer {
    bool started = false;
    int exit_code = -1;
    double seconds = 0;
    std::string out;
    std::string err;
};

Answer ask(const std::vector<std::string>& argv, const std::filesystem::path& work) {
    RunOptions options;
    options.timeout = std::chrono::minutes(5);
    options.working_dir = work.string();
    const auto start = Clock::now();
    auto out = run_process(argv, options);
    Answer answer;
    answer.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    if (!out) {
        answer.err = out.error().message;
        return answer;
    }
    answer.started = true;
    answer.exit_code = out->exit_code;
    answer.out = std::move(out->out);
    answer.err = std::move(out->err);
    return answer;
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        lines.push_back(line);
    }
    return lines;
}

// What the answer got right, counted the same way for every tool: the comm of init_task, task
// rows of ps ("[>] PID ..."), printk records ("[  time] ..."), or CPUs whose section ("CPU N"
// from kdive and the drgn script, "PID: ... CPU: N" from crash) unwinds to the base of a kernel
// stack: a frame in the function every x86-64 kernel thread starts from (secondary_startup_64
// for the idle tasks, ret_from_fork for the others) or the system-call entry. A frame count
// would not do: an unwind that goes astray also gives frames.
std::optional<std::size_t> count(const Question& question, const std::string& out) {
    static const std::regex task_row(R"(^>?\s*\d+\s+\S)");
    static const std::regex cpu_header(R"(^(CPU \d+|PID: .*CPU: \d+))");
    // A slab cache, an open file or a VMA row: its struct's address first (a file's after the
    // fd), as kdive, crash and the drgn scripts print them.
    static const std::regex cache_row(R"(^[0-9a-f]{16}\s+\d+\s)");
    static const std::regex file_row(R"(^\s*\d+\s+[0-9a-f]{16}\s)");
    static const std::regex entry_row(R"(^(0x)?[0-9a-f]{16}$)");
    static const std::regex mapping_row(R"(^[0-9a-f]{16}\s+[0-9a-f]+\s+[0-9a-f]+\s)");
    static const std::regex stack_base(
        R"(^\s*#\d+\s.*\b(secondary_startup_64|ret_from_fork|entry_SYSCALL_64)\b)");
    std::size_t n = 0;
    bool in_section = false;
    bool at_base = false; // the current CPU's section reached a stack's base
    auto close_section = [&] {
        n += in_section && at_base ? 1 : 0;
        at_base = false;
    };
    for (const auto& line : lines_of(out)) {
        if (question.counts == "answer") {
            n += line.find("swapper/0") != std::string::npos ? 1 : 0;
        } else if (question.counts == "tasks") {
            n += std::regex_search(line, task_row) ? 1 : 0;
        } else if (question.counts == "records") {
            n += line.starts_with("[") ? 1 : 0;
        } else if (question.counts == "caches") {
            n += std::regex_search(line, cache_row) ? 1 : 0;
        } else if (question.counts == "files") {
            n += std::regex_search(line, file_row) ? 1 : 0;
        } else if (question.counts == "entries") {
            n += std::regex_search(line, entry_row) ? 1 : 0;
        } else if (question.counts == "objects") {
            n += line.find("task_struct") != std::string::npos ? 1 : 0;
        } else if (question.counts == "mappings") {
            n += std::regex_search(line, mapping_row) ? 1 : 0;
        } else if (std::regex_search(line, cpu_header)) {
            close_section();
            in_section = true;
        } else if (in_section && std::regex_search(line, stack_base)) {
            at_base = true;
        }
    }
    close_section();
    if (n == 0) {
        return std::nullopt;
    }
    return n;
}

std::string got(const Question& question, std::optional<std::size_t> n) {
    if (!n) {
        return question.counts == "stacks" ? fmt::format("0/{} CPUs", vcpus) : "nothing";
    }
    if (question.counts == "answer") {
        return "swapper/0";
    }
    if (question.counts == "stacks") {
        return fmt::format("{}/{} CPUs", *n, vcpus);
    }
    return fmt::format("{} {}", *n, question.counts);
}

// The line that says what went wrong: the last line of stderr for a failed run, else the last
// complaint in the output (crash reports failures inline and exits 0).
std::string complaint(const Answer& answer) {
    static const std::regex trouble(R"(\b(error|fail|failed|invalid|cannot|not found|warning)\b)",
                                    std::regex::icase);
    // A tool's own messages ("bt: read of stack ... failed"), not the kernel's text it prints.
    static const std::regex message(R"(^[A-Za-z_][A-Za-z_0-9.]*: )");
    if (!answer.started || answer.exit_code != 0) {
        auto lines = lines_of(answer.err.empty() ? answer.out : answer.err);
        while (!lines.empty() && lines.back().empty()) {
            lines.pop_back();
        }
        return lines.empty() ? fmt::format("exit code {}", answer.exit_code) : lines.back();
    }
    std::string last;
    for (const auto& line : lines_of(answer.out)) {
        if (std::regex_search(line, message) && std::regex_search(line, trouble)) {
            last = line;
        }
    }
    for (const auto& line : lines_of(answer.err)) {
        if (std::regex_search(line, trouble)) {
            last = line;
        }
    }
    return last;
}

struct Cell {
    double seconds = 0;
    bool answered = false; // exit 0 and something counted
    std::string got;
    std::string complaint;
};

struct Paths {
    std::string kdive;
    std::filesystem::path vmlinux;
    std::filesystem::path work;
};

std::vector<std::string> command_for(Tool tool, const Question& question,
                                     const std::filesystem::path& dump, const Paths& paths,
                                     std::size_t index) {
    switch (tool) {
    case Tool::kdive:
        return {paths.kdive, "attach", dump.string(), "--batch", "-ex", question.kdive};
    case Tool::drgn:
        return {"/usr/bin/python3",
                "-m",
                "drgn",
                "-q",
                "-c",
                dump.string(),
                "-s",
                paths.vmlinux.string(),
                (paths.work / fmt::format("q{}.py", index)).string()};
    case Tool::crash:
        return {"crash",
                "-s",
                "--no_scroll",
                "-i",
                (paths.work / fmt::format("q{}.crash", index)).string(),
                paths.vmlinux.string(),
                dump.string()};
    }
    return {};
}

// crash takes seconds a question: it gets at most three runs.
int runs_of(Tool tool, int runs) {
    return tool == Tool::crash ? std::min(runs, 3) : runs;
}

Cell measure(Tool tool, const Question& question, std::size_t index,
             const std::filesystem::path& dump, const Paths& paths, int runs) {
    const auto argv = command_for(tool, question, dump, paths, index);
    runs = runs_of(tool, runs);
    std::vector<double> seconds;
    Answer last;
    for (int i = 0; i < runs; ++i) {
        last = ask(argv, paths.work);
        seconds.push_back(last.seconds);
    }
    auto n = count(question, last.out);
    // kdive's text repeats the timestamp on every line of a multi-line record, as the kernel's
    // own syslog format does: its records are counted from the JSON form of the same command.
    if (tool == Tool::kdive && question.counts == "records" && n) {
        auto records = ask(
            {paths.kdive, "attach", dump.string(), "--batch", "-ex", question.kdive + " --json"},
            paths.work);
        const auto parsed = nlohmann::json::parse(records.out, nullptr, false);
        n = parsed.is_array() ? std::optional<std::size_t>(parsed.size()) : std::nullopt;
    }
    Cell cell{median(seconds), last.started && last.exit_code == 0 && n.has_value(),
              got(question, n), complaint(last)};
    if (!cell.answered && cell.complaint.empty()) {
        // It exited 0, but nothing in its output counts: show how the output begins.
        std::vector<std::string> first;
        for (const auto& line : lines_of(last.out)) {
            if (!line.empty() && first.size() < 3) {
                first.push_back(line);
            }
        }
        cell.complaint =
            fmt::format("exit 0, {}; its output begins: {}", cell.got, fmt::join(first, " | "));
    }
    return cell;
}

// Waits (a minute at most) for the DWARF index of `vmlinux` to be in kdive's cache.
bool wait_for_index(const std::filesystem::path& index) {
    const auto start = Clock::now();
    while (Clock::now() - start < std::chrono::minutes(1)) {
        if (std::filesystem::exists(index)) {
            return true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
}

struct Dump {
    std::string format;
    std::filesystem::path path;
    double write_seconds = 0;
    std::uintmax_t bytes = 0;
};

std::string figure(const Cell& cell) {
    return cell.answered ? fmt::format("{:.3f}", cell.seconds) : "n/a";
}

std::string ratio(const Cell& peer, const Cell& kdive) {
    if (!peer.answered || !kdive.answered) {
        return "-";
    }
    return fmt::format("{:.1f}x", peer.seconds / std::max(kdive.seconds, 1e-9));
}

void report(const Dump& dump, const std::vector<std::array<Cell, 3>>& cells) {
    fmt::print("\n{} ({} MB, written by `kdive dump --format {}` in {:.1f} s)\n",
               dump.path.filename().string(), dump.bytes >> 20, dump.format, dump.write_seconds);
    fmt::print("{:<13} {:>8} {:>8} {:>8} {:>10} {:>11}   {:<13} {:<13} {:<13}\n", "question",
               "kdive s", "drgn s", "crash s", "drgn/kdive", "crash/kdive", "kdive got", "drgn got",
               "crash got");
    for (std::size_t q = 0; q < questions().size(); ++q) {
        const auto& row = cells[q];
        fmt::print("{:<13} {:>8} {:>8} {:>8} {:>10} {:>11}   {:<13} {:<13} {:<13}\n",
                   questions()[q].label, figure(row[0]), figure(row[1]), figure(row[2]),
                   ratio(row[1], row[0]), ratio(row[2], row[0]), row[0].got, row[1].got,
                   row[2].got);
    }
    // Each tool's complaints once, with the questions they came with.
    for (std::size_t t = 0; t < tools.size(); ++t) {
        std::vector<std::pair<std::string, std::vector<std::string>>> seen;
        for (std::size_t q = 0; q < questions().size(); ++q) {
            const auto& text = cells[q][t].complaint;
            if (text.empty()) {
                continue;
            }
            auto it = std::find_if(seen.begin(), seen.end(),
                                   [&](const auto& entry) { return entry.first == text; });
            if (it == seen.end()) {
                seen.push_back({text, {}});
                it = seen.end() - 1;
            }
            it->second.push_back(questions()[q].label);
        }
        for (const auto& [text, labels] : seen) {
            fmt::print("  {} ({}): {}\n", name_of(tools[t]), fmt::join(labels, ", "), text);
        }
    }
    const Cell& first = cells[0][0];
    fmt::print("  target: kdive's first answer <= 0.1 s with a warm index: {}\n",
               first.answered ? fmt::format("{:.3f} s ({})", first.seconds,
                                            first.seconds <= 0.1 ? "met" : "missed")
                              : "no answer");
    std::vector<std::string> slower;
    std::size_t compared = 0;
    for (std::size_t q = 0; q < questions().size(); ++q) {
        if (cells[q][0].answered && cells[q][1].answered) {
            ++compared;
            if (cells[q][0].seconds >= cells[q][1].seconds) {
                slower.push_back(questions()[q].label);
            }
        }
    }
    if (compared == 0) {
        fmt::print("  target: each command faster than drgn's: drgn answered nothing here\n");
    } else {
        fmt::print("  target: each command faster than drgn's: {} of {} compared{}\n",
                   compared - slower.size(), compared,
                   slower.empty() ? "" : fmt::format(" (slower: {})", fmt::join(slower, ", ")));
    }
}

// `s_inodes`: the address of the root file system's inode list, for crash's list.
Result<> write_scripts(const std::filesystem::path& work, const std::string& s_inodes) {
    for (std::size_t i = 0; i < questions().size(); ++i) {
        const auto& question = questions()[i];
        if (auto ok = write_file_atomically(work / fmt::format("q{}.py", i), question.drgn); !ok) {
            return ok;
        }
        std::string crash = question.crash;
        if (const auto at = crash.find("{s_inodes}"); at != std::string::npos) {
            crash.replace(at, std::string_view("{s_inodes}").size(), s_inodes);
        }
        if (auto ok = write_file_atomically(work / fmt::format("q{}.crash", i), crash + "\nquit\n");
            !ok) {
            return ok;
        }
    }
    return {};
}

Result<std::vector<Dump>> write_dumps(const std::string& kdive, const bench::BenchVm& vm,
                                      const std::filesystem::path& work) {
    std::vector<Dump> dumps;
    for (const char* format : {"elf", "kdump-zlib", "kdump-lzo"}) {
        Dump dump{format, work / fmt::format("vmcore.{}", format)};
        const auto start = Clock::now();
        if (auto ok = run(
                {kdive, "dump", vm.state.string(), "-o", dump.path.string(), "--format", format});
            !ok) {
            return std::unexpected(ok.error());
        }
        dump.write_seconds = std::chrono::duration<double>(Clock::now() - start).count();
        dump.bytes = std::filesystem::file_size(dump.path);
        dumps.push_back(dump);
    }
    return dumps;
}

} // namespace

int main(int argc, char** argv) {
    const std::string kernel_name = argc > 1 ? argv[1] : "debian-6.1-cloud";
    const int runs = argc > 2 ? std::max(1, std::atoi(argv[2])) : 5;
    auto setup = bench::prepare(argv[0], kernel_name, "vmcore", task_count, file_count);
    if (!setup) {
        fmt::print(stderr, "{}\n", setup.error().message);
        return 1;
    }
    // The kdive under test, copied: others may rebuild the tree's binary during the minutes
    // this runs.
    const auto kdive = setup->work / "kdive";
    std::error_code ec;
    std::filesystem::copy_file(setup->kdive, kdive, ec);
    const Paths paths{ec ? setup->kdive : kdive.string(), setup->kernel.vmlinux, setup->work};
    int status = 0;
    [&] {
        auto vm = bench::boot_bench_vm(*setup, kernel_name, vcpus);
        if (!vm) {
            fmt::print(stderr, "{}\n", vm.error().message);
            status = 1;
            return;
        }
        // kdive's own count on the live guest, for the dumps' counts to be read against.
        auto live = run({paths.kdive, "attach", vm->state.string(), "--batch", "-ex", "ps"});
        auto head = run({paths.kdive, "attach", vm->state.string(), "--batch", "-ex",
                         "p/x (unsigned long)&init_task.fs->root.mnt->mnt_sb->s_inodes"});
        const std::string s_inodes =
            head && head->find("0x") != std::string::npos
                ? head->substr(head->find("0x"),
                               head->find_first_of(" \n", head->find("0x")) - head->find("0x"))
                : "0";
        if (auto ok = write_scripts(paths.work, s_inodes); !ok) {
            fmt::print(stderr, "{}\n", ok.error().message);
            (void)run({paths.kdive, "stop", vm->state.string()});
            status = 1;
            return;
        }
        auto dumps = write_dumps(paths.kdive, *vm, paths.work);
        // The VM goes before anything is timed: TCG would take CPU from the tools.
        (void)run({paths.kdive, "stop", vm->state.string()});
        if (!dumps) {
            fmt::print(stderr, "{}\n", dumps.error().message);
            status = 1;
            return;
        }
        const Question ps = questions()[1];
        fmt::print("{} (QEMU TCG, {} vCPUs, {} extra tasks); wall seconds from start to exit, "
                   "median of {} runs (crash: {})\n",
                   kernel_name, vcpus, task_count, runs, runs_of(Tool::crash, runs));
        fmt::print("tasks: the guest counted {} in /proc (its counting ls, wc and subshell "
                   "among them); kdive ps on the live VM before the dumps listed {}\n",
                   vm->guest_tasks,
                   live ? got(ps, count(ps, *live)) : "nothing (" + live.error().message + ")");
        fmt::print("got: tasks listed by ps, printk records, CPUs whose bt -a stack reached a "
                   "stack's base (secondary_startup_64, ret_from_fork, entry_SYSCALL_64), slab "
                   "caches, pid 1's task_struct, list entries, init's open files and mappings\n");
        // Whether the DWARF index is in the cache before kdive's first run.
        std::filesystem::path index;
        if (auto elf = debuginfo::ElfFile::open(paths.vmlinux); elf && (*elf)->build_id()) {
            index = debuginfo::index_cache_path(cache_dir(), *(*elf)->build_id());
        }
        const bool was_cached = !index.empty() && std::filesystem::exists(index);
        for (const auto& dump : *dumps) {
            // Untimed first runs: the dump in the page cache, kdive's index built if absent.
            for (std::size_t t = 0; t < tools.size(); ++t) {
                const auto first =
                    ask(command_for(tools[t], questions()[0], dump.path, paths, 0), paths.work);
                if (tools[t] == Tool::kdive && &dump == &dumps->front()) {
                    const bool cached = !index.empty() && wait_for_index(index);
                    fmt::print("kdive's DWARF index: {}\n",
                               was_cached ? "already in the cache before the first run"
                               : cached   ? fmt::format("built by the untimed first run ({:.2f} "
                                                          "s, the index finished in the background)",
                                                        first.seconds)
                                          : "not cached (the timed runs build it)");
                }
            }
            std::vector<std::array<Cell, 3>> cells(questions().size());
            for (std::size_t q = 0; q < questions().size(); ++q) {
                for (std::size_t t = 0; t < tools.size(); ++t) {
                    cells[q][t] = measure(tools[t], questions()[q], q, dump.path, paths, runs);
                }
            }
            report(dump, cells);
            (void)std::fflush(stdout);
        }
    }();
    std::filesystem::remove_all(setup->work);
    return status;
}
