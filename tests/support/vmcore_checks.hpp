// Comparing kdive's answers about one stopped guest across memory sources: the questions, a
// batch that asks them all, QMP pause, `kdive dump`, and where two answers part.
#pragma once

#include "lab/qmp_client.hpp"
#include "lab/session.hpp"
#include "support/subprocess.hpp"

#include <algorithm>
#include <filesystem>
#include <fmt/format.h>
#include <string>
#include <vector>

namespace kdive::testing {

// The questions asked of every memory source; their --json answers are compared whole. The
// core ones hold on any kernel; the rest need what Debian's kernels build (SLUB_DEBUG,
// SPARSE_IRQ) and a user space (pid 1).
inline const std::vector<std::string> core_questions = {
    "ps --json", "current --json", "dmesg --json", "lsmod --json", "foreach bt --json"};
inline const std::vector<std::string> questions = [] {
    std::vector<std::string> all = core_questions;
    for (const char* more : {"kmem -s --json",
                             "kmem -i --json",
                             "irq --json",
                             "files 1 --json",
                             "vm 1 --json",
                             "vm --rss 1 --json",
                             "sys --json",
                             "vmalloc --json",
                             "kmem init_task --json",
                             "kmem $lx_task_by_pid(1) --json",
                             "kmem -p 256 --json",
                             "net --json",
                             "net --tcp --json",
                             "net --unix --json",
                             "dev -p --json",
                             "timer --json",
                             "runq --json",
                             "sig 1 --json",
                             "ps -G --json",
                             "task 1 -R comm,pid --json",
                             "search -c Linux version --json",
                             "p $list_count(&modules)"}) {
        all.emplace_back(more);
    }
    return all;
}();

// The same questions for an arm64 guest: `-M virt` has no RAM below 0x40000000, so the page
// asked about is the 256th of RAM (pfn 0x40100) rather than pfn 256.
inline const std::vector<std::string> arm64_questions = [] {
    std::vector<std::string> all = questions;
    std::ranges::replace(all, std::string("kmem -p 256 --json"),
                         std::string("kmem -p 262400 --json"));
    return all;
}();

inline Result<ProcessOutput> kdive(const std::vector<std::string>& args,
                                   std::chrono::milliseconds timeout = std::chrono::minutes(3)) {
    std::vector<std::string> argv{KDIVE_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    RunOptions options;
    options.timeout = timeout;
    return run_process(argv, options);
}

// Where two answers part: the question and some context around the first differing byte.
inline std::string first_difference(const std::string& a, const std::string& b,
                                    const std::vector<std::string>& asked = questions) {
    if (a == b) {
        return {};
    }
    std::size_t at = 0;
    while (at < a.size() && at < b.size() && a[at] == b[at]) {
        ++at;
    }
    const auto question = static_cast<std::size_t>(
        std::count(a.begin(), a.begin() + static_cast<std::ptrdiff_t>(at), '\n'));
    const std::size_t from = at > 300 ? at - 300 : 0;
    return fmt::format("answers to '{}' differ at byte {}:\n  {}\n  {}",
                       question < asked.size() ? asked[question] : "?", at, a.substr(from, 600),
                       b.substr(from, 600));
}

// Every question in one batch: the guest does not run between the answers.
inline Result<std::string> answers(const std::string& where,
                                   const std::vector<std::string>& extra = {},
                                   const std::vector<std::string>& asked = questions) {
    std::vector<std::string> args{"attach", where, "--batch"};
    args.insert(args.end(), extra.begin(), extra.end());
    for (const auto& question : asked) {
        args.insert(args.end(), {"-ex", question});
    }
    auto run = kdive(args);
    if (!run) {
        return std::unexpected(run.error());
    }
    if (run->exit_code != 0) {
        return fail("kdive attach {} failed ({}): {}", where, run->exit_code, run->err);
    }
    return run->out;
}

inline Result<> pause_guest(const lab::Session& session) {
    auto qmp = lab::QmpClient::connect(session.qmp, std::chrono::seconds(10));
    if (!qmp) {
        return std::unexpected(qmp.error());
    }
    auto stopped = qmp->execute("stop");
    if (!stopped) {
        return std::unexpected(stopped.error());
    }
    return {};
}

inline Result<std::filesystem::path> dump(const lab::Session& session,
                                          const std::filesystem::path& folder,
                                          const std::string& format,
                                          const std::vector<std::string>& extra = {}) {
    const std::filesystem::path file = folder / ("vmcore." + format);
    std::vector<std::string> args{"dump",        session.dir.string(), "-o",
                                  file.string(), "--format",           format};
    args.insert(args.end(), extra.begin(), extra.end());
    auto run = kdive(args);
    if (!run) {
        return std::unexpected(run.error());
    }
    if (run->exit_code != 0) {
        return fail("kdive dump --format {}: {}", format, run->err);
    }
    return file;
}

} // namespace kdive::testing
