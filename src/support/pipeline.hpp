// Runs a chain of programs connected stdout-to-stdin (`a | b | c`) without a shell.
#pragma once

#include "support/error.hpp"
#include "support/subprocess.hpp"

#include <string>
#include <vector>

namespace kdive {

struct PipelineOptions {
    std::string working_dir;
    // Send the last stage's stdout to our stderr instead of capturing it: progress output of a
    // tool that prints it on stdout (apt-get) reaches the user without mixing into our stdout.
    bool output_to_stderr = false;
};

struct PipelineOutput {
    std::vector<int> exit_codes; // one per stage, -1 when killed by a signal
    std::string out;             // last stage's stdout (unless forwarded)
    std::string err;             // every stage's stderr, interleaved as it arrived

    bool succeeded() const;
    // The first failing stage, or -1 when all succeeded.
    int first_failure() const;
};

// Starts every stage, waits for all of them and returns their exit codes. Fails only when a stage
// cannot be started.
Result<PipelineOutput> run_pipeline(const std::vector<std::vector<std::string>>& stages,
                                    const PipelineOptions& options = {});

} // namespace kdive
