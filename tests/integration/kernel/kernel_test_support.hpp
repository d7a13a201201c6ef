// Running the real kdive binary for `kdive kernel` tests.
#pragma once

#include "support/subprocess.hpp"

#include <chrono>
#include <cstdlib>
#include <string>
#include <vector>

namespace kdive::testing {

// Runs `kdive ARGS...` with extra environment entries; gives up after `timeout`.
inline ProcessOutput run_kernel_command(const std::vector<std::string>& args,
                                        const std::vector<std::string>& env = {},
                                        std::chrono::seconds timeout = std::chrono::seconds(900)) {
    // env(1) replaces variables the test runner already set (KDIVE_CACHE in particular).
    std::vector<std::string> argv{"env"};
    argv.insert(argv.end(), env.begin(), env.end());
    argv.insert(argv.end(), {KDIVE_BINARY, "kernel"});
    argv.insert(argv.end(), args.begin(), args.end());
    RunOptions options;
    options.timeout = timeout;
    auto run = run_process(argv, options);
    if (!run) {
        return ProcessOutput{-1, "", "could not run kdive: " + run.error().message};
    }
    return *run;
}

inline std::string kernel_under_test() {
    const char* name = std::getenv("KDIVE_TEST_KERNEL");
    return name != nullptr && *name != '\0' ? name : "debian-6.1-cloud";
}

} // namespace kdive::testing
