// Time and peak RSS to answer `ptype struct task_struct` and `p init_task.comm` on each fetched
// kernel: kdive cold (empty index cache), kdive warm, GDB and drgn (Debian's python3-drgn:
// load_debug_info, then init_task's address and struct task_struct), with ratios to kdive cold.
#include "bench_support.hpp"
#include "support/cache_dir.hpp"
#include "support/subprocess.hpp"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fmt/format.h>
#include <string>
#include <sys/resource.h>
#include <sys/wait.h>
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
        if (std::freopen("/dev/null", "w", stdout) == nullptr) {
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
    fmt::print("{:<20} {:<26} {:>7} {:>7} {:>7} {:>7} {:>7} {:>7} {:>7} {:>8} {:>7} {:>7} {:>7} "
               "{:>9}\n",
               "kernel", "kdive command", "cold s", "cpu s", "cold MB", "warm s", "warm MB",
               "gdb s", "gdb MB", "gdb/cold", "drgn s", "cpu s", "drgn MB", "drgn/cold");
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
            drgn = measure({"/usr/bin/python3", "-c", drgn_script, vmlinux.string()}, "");
        }
        // ptype is answered from BTF; a global's value needs the DWARF name index, which the
        // cold run builds and caches and the warm run loads.
        for (const std::string& line : {command, std::string("p init_task.comm")}) {
            std::filesystem::remove_all(cache);
            const std::vector<std::string> args{kdive, "inspect", "--vmlinux", vmlinux.string(),
                                                "-ex", line};
            const Measurement cold = measure(args, cache.string());
            const Measurement warm = measure(args, cache.string());
            fmt::print(
                "{:<20} {:<26} {:>7.3f} {:>7.3f} {:>7.1f} {:>7.3f} {:>7.1f} {:>7.3f} {:>7.1f} "
                "{:>8.1f} {:>7.3f} {:>7.3f} {:>7.1f} {:>9.2f}{}{}\n",
                name, line, cold.seconds, cold.cpu_seconds, cold.peak_rss_kb / 1024.0, warm.seconds,
                warm.peak_rss_kb / 1024.0, gdb.seconds, gdb.peak_rss_kb / 1024.0,
                with_gdb ? gdb.seconds / cold.seconds : 0.0, drgn.seconds, drgn.cpu_seconds,
                drgn.peak_rss_kb / 1024.0, with_drgn ? drgn.seconds / cold.seconds : 0.0,
                cold.exit_code != 0 || warm.exit_code != 0 ? "  (kdive failed)" : "",
                with_drgn && drgn.exit_code != 0 ? "  (drgn failed)" : "");
            std::fflush(stdout);
        }
        std::filesystem::remove_all(cache);
    }
    return 0;
}
