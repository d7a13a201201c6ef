// Time and peak RSS to answer `ptype struct task_struct`, `p init_task.comm` and a struct no
// unit defines on each fetched kernel: kdive cold (empty index cache), kdive warm, GDB and drgn
// (Debian's python3-drgn: load_debug_info, then init_task's address and struct task_struct),
// with ratios to kdive cold. Cold runs are medians of three. A cold kdive run answers from the
// first units while its index is built; a one-question run leaves the rest of the index to a
// detached process: "index s" is when the index is cached, counted from the cold run's start
// (the detached process's CPU time is not in "cpu s"). The absent struct is the worst case: it
// waits for the whole index in the kdive process itself.
#include "bench_support.hpp"
#include "support/cache_dir.hpp"
#include "support/subprocess.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fmt/format.h>
#include <string>
#include <sys/resource.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace {

struct Measurement {
    double seconds = 0;
    double cpu_seconds = 0;
    long peak_rss_kb = 0;
    int exit_code = -1;
};

// fork/exec/wait4 so that the child's own peak RSS is reported, not ours.
Measurement measure(const std::vector<std::string>& argv, const std::string& cache) {
    std::fflush(stdout); // or the child's freopen flushes our pending output a second time
    const auto start = std::chrono::steady_clock::now();
    const pid_t pid = fork();
    if (pid == 0) {
        setenv("KDIVE_CACHE", cache.c_str(), 1);
        if (std::freopen("/dev/null", "w", stdout) == nullptr ||
            std::freopen("/dev/null", "w", stderr) == nullptr) {
            _exit(126);
        }
        std::vector<char*> args;
        for (const auto& a : argv) {
            args.push_back(const_cast<char*>(a.c_str()));
        }
        args.push_back(nullptr);
        execvp(args[0], args.data());
        _exit(127);
    }
    int status = 0;
    struct rusage usage {};
    wait4(pid, &status, 0, &usage);
    Measurement m;
    m.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    m.peak_rss_kb = usage.ru_maxrss;
    m.cpu_seconds = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                    static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
    m.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return m;
}

// The run with the median wall time of three.
template <typename Run> Measurement median_of_three(Run run) {
    std::vector<Measurement> runs{run(), run(), run()};
    std::sort(runs.begin(), runs.end(),
              [](const Measurement& a, const Measurement& b) { return a.seconds < b.seconds; });
    return runs[1];
}

// Seconds from `start` until the cache holds a DWARF index (waiting up to a minute); 0 if never.
double seconds_until_cached(const std::filesystem::path& cache,
                            std::chrono::steady_clock::time_point start) {
    const auto index_dir = cache / "index";
    while (std::chrono::steady_clock::now() - start < std::chrono::minutes(1)) {
        std::error_code ec;
        for (const auto& entry : std::filesystem::directory_iterator(index_dir, ec)) {
            if (entry.path().extension() == ".dwarf-index") {
                return std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
                    .count();
            }
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    const std::string kdive = argc > 1 ? argv[1] : kdive::bench::kdive_binary(argv[0]);
    const bool with_gdb =
        !kdive::find_program("gdb").empty() && std::getenv("KDIVE_BENCH_NO_GDB") == nullptr;
    const std::string command = "ptype struct task_struct";
    // drgn's first answers: the same questions through its Python API, no cache of its own.
    const std::string drgn_script = "import drgn, sys\n"
                                    "prog = drgn.Program()\n"
                                    "prog.load_debug_info([sys.argv[1]])\n"
                                    "prog['init_task'].address_\n"
                                    "prog.type('struct task_struct')\n";
    const bool with_drgn = std::getenv("KDIVE_BENCH_NO_DRGN") == nullptr &&
                           measure({"/usr/bin/python3", "-c", "import drgn"}, "").exit_code == 0;
    const auto cache =
        std::filesystem::temp_directory_path() / fmt::format("kdive-bench-cache-{}", getpid());
    fmt::print("{:<20} {:<26} {:>7} {:>7} {:>7} {:>7} {:>7} {:>7} {:>7} {:>7} {:>8} {:>7} {:>7} "
               "{:>7} {:>9}\n",
               "kernel", "kdive command", "cold s", "cpu s", "cold MB", "index s", "warm s",
               "warm MB", "gdb s", "gdb MB", "gdb/cold", "drgn s", "cpu s", "drgn MB", "drgn/cold");
    for (const char* name :
         {"debian-6.1-cloud", "debian-6.12-cloud", "debian-5.10-cloud", "debian-sid-cloud"}) {
        const auto vmlinux = kdive::cache_dir() / "kernels" / name / "vmlinux";
        if (!std::filesystem::exists(vmlinux)) {
            fmt::print("{:<20} (not fetched)\n", name);
            continue;
        }
        Measurement gdb;
        if (with_gdb) {
            gdb =
                measure({"gdb", "-batch", "-nx", vmlinux.string(), "-ex", command}, cache.string());
        }
        Measurement drgn;
        if (with_drgn) {
            drgn = median_of_three([&] {
                return measure({"/usr/bin/python3", "-c", drgn_script, vmlinux.string()}, "");
            });
        }
        // ptype is answered from BTF; a global's value needs the DWARF name index, which the
        // cold run starts building and the warm run loads from the cache.
        for (const std::string& line : {command, std::string("p init_task.comm"),
                                        std::string("ptype struct kdive_bench_absent")}) {
            const std::vector<std::string> args{kdive, "inspect", "--vmlinux", vmlinux.string(),
                                                "-ex", line};
            double indexed = 0;
            const Measurement cold = median_of_three([&] {
                std::filesystem::remove_all(cache);
                const auto start = std::chrono::steady_clock::now();
                Measurement m = measure(args, cache.string());
                // BTF answers ptype: no index is started there.
                indexed = line == command ? 0 : seconds_until_cached(cache, start);
                return m;
            });
            const Measurement warm = measure(args, cache.string());
            const bool answered = cold.exit_code == 0 || line.find("absent") != std::string::npos;
            fmt::print(
                "{:<20} {:<26} {:>7.3f} {:>7.3f} {:>7.1f} {:>7.3f} {:>7.3f} {:>7.1f} {:>7.3f} "
                "{:>7.1f} {:>8.1f} {:>7.3f} {:>7.3f} {:>7.1f} {:>9.2f}{}{}\n",
                name, line, cold.seconds, cold.cpu_seconds, cold.peak_rss_kb / 1024.0, indexed,
                warm.seconds, warm.peak_rss_kb / 1024.0, gdb.seconds, gdb.peak_rss_kb / 1024.0,
                with_gdb ? gdb.seconds / cold.seconds : 0.0, drgn.seconds, drgn.cpu_seconds,
                drgn.peak_rss_kb / 1024.0, with_drgn ? drgn.seconds / cold.seconds : 0.0,
                answered ? "" : "  (kdive failed)",
                with_drgn && drgn.exit_code != 0 ? "  (drgn failed)" : "");
            (void)std::fflush(stdout);
        }
        std::filesystem::remove_all(cache);
    }
    return 0;
}
