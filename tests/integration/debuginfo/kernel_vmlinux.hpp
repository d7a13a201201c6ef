// Finds the test kernel's vmlinux and runs expression commands against it, in process and
// through GDB.
#pragma once

#include "cli/eval_commands.hpp"
#include "debuginfo/debug_info.hpp"
#include "gdb_reference.hpp"
#include "support/cache_dir.hpp"
#include "support/subprocess.hpp"

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

namespace kdive::testing {

inline std::string test_kernel() {
    const char* name = std::getenv("KDIVE_TEST_KERNEL");
    return name != nullptr ? name : "debian-6.1-cloud";
}

inline std::filesystem::path test_vmlinux() {
    return cache_dir() / "kernels" / test_kernel() / "vmlinux";
}

// "$12 = foo" → "foo": history numbers differ whenever one side failed a command.
inline std::string without_history_number(const std::string& text) {
    if (text.size() > 1 && text[0] == '$') {
        const auto eq = text.find(" = ");
        if (eq != std::string::npos) {
            return text.substr(eq + 3);
        }
    }
    return text;
}

// Runs all commands in ONE gdb (loading a vmlinux costs GDB ~17 s and ~2 GB); the answers
// are split on markers echoed between commands.
inline Result<std::vector<std::string>> gdb_answers(const std::filesystem::path& vmlinux,
                                                    const std::vector<std::string>& commands) {
    static constexpr const char* marker = "@@kdive-next@@";
    std::vector<std::string> argv = gdb_batch({vmlinux.string()});
    for (const auto& command : commands) {
        argv.insert(argv.end(), {"-ex", command, "-ex", std::string("echo ") + marker + "\\n"});
    }
    RunOptions options;
    options.timeout = std::chrono::minutes(10);
    auto run = run_process(argv, options);
    if (!run) {
        return std::unexpected(run.error());
    }
    // GDB prints errors on stderr; interleaving is lost, so errors count as empty answers.
    std::vector<std::string> answers;
    std::string current;
    std::size_t start = 0;
    const std::string& out = run->out;
    while (start < out.size()) {
        std::size_t end = out.find('\n', start);
        if (end == std::string::npos) {
            end = out.size();
        }
        const std::string line = out.substr(start, end - start);
        if (line == marker) {
            if (!current.empty() && current.back() == '\n') {
                current.pop_back();
            }
            answers.push_back(without_history_number(current));
            current.clear();
        } else {
            current += line + "\n";
        }
        start = end + 1;
    }
    if (answers.size() != commands.size()) {
        return fail("gdb answered {} of {} commands; stderr: {}", answers.size(), commands.size(),
                    run->err.substr(0, 2000));
    }
    return answers;
}

} // namespace kdive::testing
