// GDB as the reference a test holds kdive's answers against. GDB wraps lines longer than its
// width (a frame's "at FILE:LINE" moves to the next line once the source path is long enough)
// and pages long output: every GDB run here has an unlimited width and height, so no answer
// depends on where the user's home folder is. Include from a test that defines KDIVE_BINARY.
#pragma once

#include "support/subprocess.hpp"

#include <chrono>
#include <cstdlib>
#include <string>
#include <string_view>
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

// The GDB for the test kernel: Debian's gdb debugs x86-64 only, gdb-multiarch the arm64 guests
// (the same GDB 13; `kdive up --gdb` and `kdive gdb` choose it the same way).
inline std::string test_gdb() {
    const char* kernel = std::getenv("KDIVE_TEST_KERNEL");
    return kernel != nullptr && std::string_view(kernel).ends_with("-arm64") ? "gdb-multiarch"
                                                                             : "gdb";
}

// `gdb -batch -nx` with the screen unlimited before anything is loaded, then ARGS. GDB's index
// cache (~/.cache/gdb) is on as `kdive up --gdb` has it: a suite starts GDB on the same vmlinux
// many times, and only the first start reads all its DWARF (about 5 s instead of 20-50 s).
inline std::vector<std::string> gdb_batch(const std::vector<std::string>& args) {
    std::vector<std::string> argv{test_gdb(),     "-batch",      "-nx",
                                  "-iex",         "set width 0", "-iex",
                                  "set height 0", "-iex",        "set index-cache enabled on"};
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
