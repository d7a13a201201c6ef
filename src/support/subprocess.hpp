// Runs external programs (apt-get, dpkg-deb, qemu) without a shell.
#pragma once

#include "support/error.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace kdive {

struct ProcessOutput {
    int exit_code = -1; // -1 when killed by a signal
    std::string out;
    std::string err;
};

struct RunOptions {
    std::optional<std::chrono::milliseconds> timeout;
    std::string working_dir;
    bool pass_stderr = false; // let the child's stderr reach our terminal (progress output)
    bool pass_stdout = false;
    std::vector<std::string> env; // NAME=VALUE entries, replacing inherited ones
};

// Runs argv[0] (looked up in PATH) and waits for it. Fails only when it cannot be started or
// times out; a non-zero exit is reported in the result.
Result<ProcessOutput> run_process(const std::vector<std::string>& argv,
                                  const RunOptions& options = {});

// Like run_process, but a non-zero exit is an error carrying the program's stderr.
Result<ProcessOutput> run_checked(const std::vector<std::string>& argv,
                                  const RunOptions& options = {});

// Finds an executable in PATH; empty when absent.
std::string find_program(const std::string& name);

} // namespace kdive
