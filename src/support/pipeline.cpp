// posix_spawn of each stage with pipes between them; our end drains stdout and stderr.
#include "support/pipeline.hpp"

#include "support/pipe_drain.hpp"

#include <array>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace kdive {

namespace {

void close_fd(int& fd) {
    if (fd >= 0) {
        close(fd);
        fd = -1;
    }
}

} // namespace

bool PipelineOutput::succeeded() const {
    return first_failure() < 0;
}

int PipelineOutput::first_failure() const {
    for (size_t i = 0; i < exit_codes.size(); ++i) {
        if (exit_codes[i] != 0) {
            return static_cast<int>(i);
        }
    }
    return -1;
}

Result<PipelineOutput> run_pipeline(const std::vector<std::vector<std::string>>& stages,
                                    const PipelineOptions& options) {
    if (stages.empty()) {
        return fail("run_pipeline: no stages");
    }
    std::vector<std::string> programs;
    for (const auto& argv : stages) {
        if (argv.empty()) {
            return fail("run_pipeline: empty stage");
        }
        std::string exe = find_program(argv[0]);
        if (exe.empty()) {
            return fail("{}: program not found in PATH", argv[0]);
        }
        programs.push_back(exe);
    }
    std::array<int, 2> out_pipe{-1, -1};
    std::array<int, 2> err_pipe{-1, -1};
    if (pipe2(out_pipe.data(), O_CLOEXEC) != 0 || pipe2(err_pipe.data(), O_CLOEXEC) != 0) {
        return fail("{}: pipe: {}", stages.front()[0], std::strerror(errno));
    }

    std::vector<pid_t> pids;
    int previous_read = -1; // the read end feeding the next stage's stdin
    Error start_error;
    for (size_t i = 0; i < stages.size(); ++i) {
        bool last = i + 1 == stages.size();
        std::array<int, 2> link{-1, -1};
        if (!last && pipe2(link.data(), O_CLOEXEC) != 0) {
            start_error.message = fmt::format("{}: pipe: {}", stages[i][0], std::strerror(errno));
            break;
        }
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        if (previous_read >= 0) {
            posix_spawn_file_actions_adddup2(&actions, previous_read, 0);
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
        }
        if (!last) {
            posix_spawn_file_actions_adddup2(&actions, link[1], 1);
        } else if (options.output_to_stderr) {
            posix_spawn_file_actions_adddup2(&actions, 2, 1);
        } else {
            posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
        }
        posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
        if (!options.working_dir.empty()) {
            posix_spawn_file_actions_addchdir_np(&actions, options.working_dir.c_str());
        }
        std::vector<char*> cargv;
        for (const auto& a : stages[i]) {
            cargv.push_back(const_cast<char*>(a.c_str()));
        }
        cargv.push_back(nullptr);
        pid_t pid = -1;
        int rc = posix_spawn(&pid, programs[i].c_str(), &actions, nullptr, cargv.data(), environ);
        posix_spawn_file_actions_destroy(&actions);
        close_fd(previous_read);
        close_fd(link[1]);
        previous_read = link[0];
        if (rc != 0) {
            close_fd(previous_read);
            start_error.message =
                fmt::format("{}: cannot start: {}", stages[i][0], std::strerror(rc));
            break;
        }
        pids.push_back(pid);
    }
    close_fd(previous_read);
    close_fd(out_pipe[1]);
    close_fd(err_pipe[1]);
    if (pids.size() != stages.size()) {
        for (pid_t pid : pids) {
            kill(pid, SIGKILL);
        }
    }

    PipelineOutput result;
    drain_pipes(out_pipe[0], err_pipe[0], result.out, result.err);
    close_fd(out_pipe[0]);
    close_fd(err_pipe[0]);
    for (pid_t pid : pids) {
        int status = 0;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        result.exit_codes.push_back(WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    }
    if (!start_error.message.empty()) {
        return std::unexpected(start_error);
    }
    return result;
}

} // namespace kdive
