// GDB as the reference a test holds kdive's answers against. GDB wraps lines longer than its
// width (a frame's "at FILE:LINE" moves to the next line once the source path is long enough)
// and pages long output: every GDB run here has an unlimited width and height, so no answer
// depends on where the user's home folder is. Include from a test that defines KDIVE_BINARY.
#pragma once

#include "support/subprocess.hpp"

#include <chrono>
#include <string>
#include <vector>

namespace kdive::testing {

// Words quoted for sh -c (a quote inside a word closes, escapes and reopens the quoting).
inline std::string shell_words(const std::vector<std::string>& words) {
    std::string out;
    for (const auto& word : words) {
        out += " '";
        for (char c : word) {
            out += c == '\'' ? std::string("'\\''") : std::string(1, c);
        }
        out += "'";
    }
    return out;
}

// `gdb -batch -nx` with the screen unlimited before anything is loaded, then ARGS.
inline std::vector<std::string> gdb_batch(const std::vector<std::string>& args) {
    std::vector<std::string> argv{"gdb",         "-batch", "-nx",         "-iex",
                                  "set width 0", "-iex",   "set height 0"};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
}

// `kdive up --gdb UP_ARGS` with COMMANDS fed to GDB's stdin, after the hand-over's own
// commands left it stopped at the first breakpoint.
inline Result<ProcessOutput>
run_gdb_handoff(const std::vector<std::string>& up_args, const std::vector<std::string>& commands,
                std::chrono::seconds timeout = std::chrono::minutes(5)) {
    std::vector<std::string> lines{"set width 0", "set height 0"};
    lines.insert(lines.end(), commands.begin(), commands.end());
    RunOptions options;
    options.timeout = timeout;
    auto run = run_process({"sh", "-c",
                            "printf '%s\\n'" + shell_words(lines) + " | " +
                                shell_words({KDIVE_BINARY, "up", "--gdb"}) + shell_words(up_args)},
                           options);
    // The two settings print nothing but their prompts: drop those, so the transcript has one
    // prompt per command the test gave, as if GDB had started with them.
    if (run) {
        const std::string settings_prompts = "(gdb) (gdb) ";
        auto at = run->out.find("(gdb) ");
        if (at != std::string::npos &&
            run->out.compare(at, settings_prompts.size(), settings_prompts) == 0) {
            run->out.erase(at, settings_prompts.size());
        }
    }
    return run;
}

} // namespace kdive::testing
