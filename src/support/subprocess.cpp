// fork/exec with pipes, timeouts and no shell quoting.
#include "support/subprocess.hpp"

#include "support/pipe_drain.hpp"

#include <array>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

namespace kdive {

namespace {

std::string join_argv(const std::vector<std::string>& argv) {
    std::string out;
    for (const auto& a : argv) {
        if (!out.empty()) {
            out += ' ';
        }
        out += a;
    }
    return out;
}

std::string trim_tail(std::string text, size_t max_bytes) {
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
        text.pop_back();
    }
    if (text.size() > max_bytes) {
        text = "..." + text.substr(text.size() - max_bytes);
    }
    return text;
}

} // namespace

std::string find_program(const std::string& name) {
    if (name.find('/') != std::string::npos) {
        return access(name.c_str(), X_OK) == 0 ? name : std::string();
    }
    const char* path = std::getenv("PATH");
    std::string paths = path ? path : "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin";
    size_t start = 0;
    while (start <= paths.size()) {
        size_t end = paths.find(':', start);
        if (end == std::string::npos) {
            end = paths.size();
        }
        std::string candidate = paths.substr(start, end - start) + "/" + name;
        if (access(candidate.c_str(), X_OK) == 0) {
            return candidate;
        }
        start = end + 1;
    }
    return {};
}

Result<ProcessOutput> run_process(const std::vector<std::string>& argv, const RunOptions& options) {
    if (argv.empty()) {
        return fail("run_process: empty command");
    }
    std::string exe = find_program(argv[0]);
    if (exe.empty()) {
        return fail("{}: program not found in PATH", argv[0]);
    }
    std::array<int, 2> out_pipe{-1, -1};
    std::array<int, 2> err_pipe{-1, -1};
    if (pipe2(out_pipe.data(), O_CLOEXEC) != 0 || pipe2(err_pipe.data(), O_CLOEXEC) != 0) {
        return fail("{}: pipe: {}", argv[0], std::strerror(errno));
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    if (!options.pass_stdout) {
        posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
    }
    if (!options.pass_stderr) {
        posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
    }
    if (!options.working_dir.empty()) {
        posix_spawn_file_actions_addchdir_np(&actions, options.working_dir.c_str());
    }
    std::vector<char*> cargv;
    cargv.reserve(argv.size() + 1);
    for (const auto& a : argv) {
        cargv.push_back(const_cast<char*>(a.c_str()));
    }
    cargv.push_back(nullptr);
    // Extra NAME=VALUE entries replace inherited ones of the same name.
    auto name_of = [](std::string_view entry) { return entry.substr(0, entry.find('=')); };
    std::vector<std::string> env_strings;
    for (char** e = environ; *e != nullptr; ++e) {
        bool overridden = false;
        for (const auto& extra : options.env) {
            overridden = overridden || name_of(extra) == name_of(*e);
        }
        if (!overridden) {
            env_strings.emplace_back(*e);
        }
    }
    env_strings.insert(env_strings.end(), options.env.begin(), options.env.end());
    std::vector<char*> cenv;
    cenv.reserve(env_strings.size() + 1);
    for (auto& e : env_strings) {
        cenv.push_back(e.data());
    }
    cenv.push_back(nullptr);

    pid_t pid = -1;
    int rc = posix_spawn(&pid, exe.c_str(), &actions, nullptr, cargv.data(), cenv.data());
    posix_spawn_file_actions_destroy(&actions);
    close(out_pipe[1]);
    close(err_pipe[1]);
    if (rc != 0) {
        close(out_pipe[0]);
        close(err_pipe[0]);
        return fail("{}: cannot start: {}", argv[0], std::strerror(rc));
    }

    ProcessOutput result;
    auto deadline = options.timeout
                        ? std::optional(std::chrono::steady_clock::now() + *options.timeout)
                        : std::nullopt;
    bool timed_out = !drain_pipes(out_pipe[0], err_pipe[0], result.out, result.err, deadline);
    close(out_pipe[0]);
    close(err_pipe[0]);
    if (timed_out) {
        kill(pid, SIGKILL);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (timed_out) {
        // What it said last is usually where it was stuck.
        std::string said = trim_tail(result.out, 3000);
        std::string complained = trim_tail(result.err, 1000);
        return fail("{}: timed out after {} ms{}{}{}{}", join_argv(argv), options.timeout->count(),
                    said.empty() ? "" : "; its output ended:\n", said,
                    complained.empty() ? "" : "\nand its errors:\n", complained);
    }
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return result;
}

Result<ProcessOutput> run_checked(const std::vector<std::string>& argv, const RunOptions& options) {
    auto result = run_process(argv, options);
    if (!result) {
        return result;
    }
    if (result->exit_code != 0) {
        std::string detail = trim_tail(result->err.empty() ? result->out : result->err, 2000);
        return fail("{} failed (exit {}){}{}", join_argv(argv), result->exit_code,
                    detail.empty() ? "" : ": ", detail);
    }
    return result;
}

} // namespace kdive
