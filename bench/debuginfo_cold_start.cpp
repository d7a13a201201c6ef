// Time and peak RSS to answer `ptype struct task_struct` on each fetched kernel: kdive cold
// (empty index cache), kdive warm, and GDB, with the ratio.
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
    m.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return m;
}

} // namespace

int main(int argc, char** argv) {
    const std::string kdive = argc > 1 ? argv[1] : kdive::bench::kdive_binary(argv[0]);
    const bool with_gdb =
        !kdive::find_program("gdb").empty() && std::getenv("KDIVE_BENCH_NO_GDB") == nullptr;
    const std::string command = "ptype struct task_struct";
    const auto cache =
        std::filesystem::temp_directory_path() / fmt::format("kdive-bench-cache-{}", getpid());
    fmt::print("{:<20} {:<26} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>9}\n", "kernel",
               "kdive command", "cold s", "cold MB", "warm s", "warm MB", "gdb s", "gdb MB",
               "gdb/cold");
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
        // ptype is answered from BTF; a global's value needs the DWARF name index, which the
        // cold run builds and caches and the warm run loads.
        for (const std::string& line : {command, std::string("p init_task.comm")}) {
            std::filesystem::remove_all(cache);
            const std::vector<std::string> args{kdive, "inspect", "--vmlinux", vmlinux.string(),
                                                "-ex", line};
            const Measurement cold = measure(args, cache.string());
            const Measurement warm = measure(args, cache.string());
            fmt::print(
                "{:<20} {:<26} {:>8.3f} {:>8.1f} {:>8.3f} {:>8.1f} {:>8.3f} {:>8.1f} {:>9.1f}{}\n",
                name, line, cold.seconds, cold.peak_rss_kb / 1024.0, warm.seconds,
                warm.peak_rss_kb / 1024.0, gdb.seconds, gdb.peak_rss_kb / 1024.0,
                with_gdb ? gdb.seconds / cold.seconds : 0.0,
                cold.exit_code != 0 || warm.exit_code != 0 ? "  (kdive failed)" : "");
            std::fflush(stdout);
        }
        std::filesystem::remove_all(cache);
    }
    return 0;
}
