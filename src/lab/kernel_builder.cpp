// make as a child in its own process group, its output teed to the log and counted.
#include "lab/kernel_builder.hpp"

#include "lab/kconfig_file.hpp"
#include "support/atomic_file.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <fmt/format.h>
#include <fstream>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace kdive::lab {

namespace fs = std::filesystem;

namespace {

constexpr const char* log_name = "kdive-build.log";
// How many files the biggest complete build of this folder compiled: the next estimate (an
// incremental build compiles fewer, so the record only grows).
constexpr const char* object_count_name = ".kdive-build-objects";

size_t previous_object_count(const fs::path& out) {
    auto text = read_file(out / object_count_name);
    if (!text) {
        return 0;
    }
    size_t count = 0;
    std::from_chars(text->data(), text->data() + text->size(), count);
    return count;
}

} // namespace

bool is_compile_line(std::string_view line) {
    for (std::string_view tag : {"  CC ", "  AS ", "  CC [M] ", "  AS [M] "}) {
        if (line.starts_with(tag)) {
            return true;
        }
    }
    return false;
}

std::vector<std::string> build_errors(std::string_view log, size_t limit) {
    std::vector<std::string> lines;
    while (!log.empty()) {
        auto nl = log.find('\n');
        std::string_view line = log.substr(0, nl);
        log.remove_prefix(nl == std::string_view::npos ? log.size() : nl + 1);
        if (line.find("error:") != std::string_view::npos ||
            line.find("Error ") != std::string_view::npos || line.starts_with("make") ||
            line.find("*** ") != std::string_view::npos ||
            line.find("undefined reference") != std::string_view::npos) {
            if (line.find("Entering directory") == std::string_view::npos &&
                line.find("Leaving directory") == std::string_view::npos) {
                lines.emplace_back(line);
            }
        }
    }
    if (lines.size() > limit) {
        lines.erase(lines.begin(), lines.end() - static_cast<std::ptrdiff_t>(limit));
    }
    return lines;
}

Result<std::vector<std::string>> build_targets(const KernelTree& tree) {
    auto config = KconfigFile::read(tree.config().string());
    if (!config) {
        return fail("{} is not configured ({}): run `kdive kconfig --tree {}{}` first",
                    tree.out.string(), config.error().message, tree.source.string(),
                    tree.out_of_tree() ? " --out " + tree.out.string() : "");
    }
    std::vector<std::string> targets{std::string(kernel_image_target(tree.arch))};
    if (config->value("MODULES") == "y") {
        targets.push_back("modules");
    }
    if (config->value("GDB_SCRIPTS") == "y") {
        targets.push_back("scripts_gdb");
    }
    return targets;
}

Result<BuildOutcome> build_kernel(const KernelTree& tree, int jobs, const BuildHooks& hooks) {
    if (auto toolchain = tree.check_toolchain(); !toolchain) {
        return std::unexpected(toolchain.error());
    }
    auto targets = build_targets(tree);
    if (!targets) {
        return std::unexpected(targets.error());
    }
    BuildOutcome outcome;
    outcome.targets = *targets;
    outcome.log = tree.out / log_name;
    std::ofstream log(outcome.log, std::ios::trunc);
    if (!log) {
        return fail("cannot write {}", outcome.log.string());
    }
    std::vector<std::string> make_targets{fmt::format("-j{}", jobs)};
    make_targets.insert(make_targets.end(), targets->begin(), targets->end());
    auto argv = tree.make(make_targets);
    log << "$";
    for (const auto& a : argv) {
        log << " " << a;
    }
    log << "\n";
    log.flush();

    int pipe_fds[2];
    if (pipe2(pipe_fds, O_CLOEXEC) != 0) {
        return fail("pipe: {}", std::strerror(errno));
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        return fail("fork: {}", std::strerror(errno));
    }
    if (pid == 0) {
        // Its own process group: an interrupt reaches make and every compiler it started.
        setpgid(0, 0);
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != parent) {
            _exit(127);
        }
        dup2(pipe_fds[1], STDOUT_FILENO);
        dup2(pipe_fds[1], STDERR_FILENO);
        int devnull = open("/dev/null", O_RDONLY);
        dup2(devnull, STDIN_FILENO);
        std::vector<char*> cargv;
        cargv.reserve(argv.size() + 1);
        for (const auto& a : argv) {
            cargv.push_back(const_cast<char*>(a.c_str()));
        }
        cargv.push_back(nullptr);
        execvp(cargv[0], cargv.data());
        _exit(127);
    }
    setpgid(pid, pid);
    close(pipe_fds[1]);

    auto started = std::chrono::steady_clock::now();
    BuildProgress progress{0, previous_object_count(tree.out), 0};
    std::string partial;
    std::string whole_log;
    bool signalled = false;
    while (true) {
        pollfd pfd{pipe_fds[0], POLLIN, 0};
        int ready = poll(&pfd, 1, 250);
        if (ready > 0) {
            char buffer[65536];
            ssize_t n = read(pipe_fds[0], buffer, sizeof buffer);
            if (n <= 0) {
                break;
            }
            std::string_view chunk(buffer, static_cast<size_t>(n));
            log.write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
            whole_log.append(chunk);
            partial.append(chunk);
            size_t nl;
            while ((nl = partial.find('\n')) != std::string::npos) {
                if (is_compile_line(std::string_view(partial).substr(0, nl))) {
                    ++progress.compiled;
                }
                partial.erase(0, nl + 1);
            }
        } else if (ready < 0 && errno != EINTR) {
            break;
        }
        if (!signalled && hooks.interrupted && hooks.interrupted()) {
            kill(-pid, SIGINT);
            signalled = true;
            outcome.interrupted = true;
        }
        progress.elapsed_s =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        if (hooks.progress) {
            hooks.progress(progress);
        }
    }
    close(pipe_fds[0]);
    int wstatus = 0;
    while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
        if (!signalled && hooks.interrupted && hooks.interrupted()) {
            kill(-pid, SIGINT);
            signalled = outcome.interrupted = true;
        }
    }
    log.flush();
    outcome.exit_code = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1;
    outcome.compiled = progress.compiled;
    outcome.elapsed_s = progress.elapsed_s;
    if (outcome.succeeded()) {
        size_t record = std::max(progress.total, progress.compiled);
        (void)write_file_atomically(tree.out / object_count_name, std::to_string(record) + "\n");
    } else {
        outcome.errors = build_errors(whole_log, 15);
    }
    return outcome;
}

} // namespace kdive::lab
