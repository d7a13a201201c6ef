// Helpers the VM benchmarks share: finding kdive, running it, medians, dropping the target's
// page cache between runs, and the guest script that starts the extra tasks.
#pragma once

#include "lab/boot_kernel.hpp"
#include "support/atomic_file.hpp"
#include "support/error.hpp"
#include "support/subprocess.hpp"
#include "target/target.hpp"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fmt/format.h>
#include <string>
#include <string_view>
#include <thread>
#include <unistd.h>
#include <vector>

namespace kdive::bench {

// bench binaries live in build/bench/; kdive in build/.
inline std::string kdive_binary(const char* argv0) {
    const auto beside = std::filesystem::path(argv0).parent_path() / ".." / "kdive";
    return std::filesystem::exists(beside) ? beside.string() : "kdive";
}

// Runs a command to completion (five minutes at most) and returns its standard output.
inline Result<std::string> run(const std::vector<std::string>& argv) {
    RunOptions options;
    options.timeout = std::chrono::minutes(5);
    auto out = run_checked(argv, options);
    if (!out) {
        return std::unexpected(out.error());
    }
    return out->out;
}

inline double median(std::vector<double> values) {
    std::sort(values.begin(), values.end());
    return values.empty() ? 0 : values[values.size() / 2];
}

// Lets the guest run a moment and stops it again: the Target drops its page cache on resume.
inline Result<> cycle(target::Target& target) {
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

// An rcS addition that starts `count` sleeping processes and then prints how many tasks exist
// after "KDIVE-TASKS:", which the benchmark waits for on the console.
inline std::string extra_tasks_script(int count) {
    return fmt::format("#!/bin/sh\ni=0\nwhile [ $i -lt {} ]; do sleep 1000 & i=$((i+1)); "
                       "done\necho \"KDIVE-TASKS: $(ls -d /proc/[0-9]* | wc -l)\"\n",
                       count);
}

// What a VM benchmark starts from: kdive, the kernel, a private work folder (removed by the
// benchmark) and, in it, the rcS addition that starts `task_count` extra tasks.
struct Setup {
    std::string kdive;
    lab::BootKernel kernel;
    std::filesystem::path work;
    std::filesystem::path script;
};

inline Result<Setup> prepare(const char* argv0, const std::string& kernel_name,
                             std::string_view tag, int task_count) {
    auto kernel = lab::resolve_boot_kernel(kernel_name);
    if (!kernel) {
        return std::unexpected(kernel.error());
    }
    Setup out{kdive_binary(argv0),
              *kernel,
              std::filesystem::temp_directory_path() /
                  fmt::format("kdive-bench-{}-{}", tag, getpid()),
              {}};
    std::filesystem::create_directories(out.work);
    out.script = out.work / "tasks.sh";
    if (auto ok = write_file_atomically(out.script, extra_tasks_script(task_count)); !ok) {
        return std::unexpected(ok.error());
    }
    return out;
}

} // namespace kdive::bench
