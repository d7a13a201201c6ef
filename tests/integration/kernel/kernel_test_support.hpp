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
    std::vector<std::string> argv{KDIVE_BINARY, "kernel"};
    argv.insert(argv.end(), args.begin(), args.end());
    RunOptions options;
    options.timeout = timeout;
    options.env = env;
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
