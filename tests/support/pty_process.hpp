// A program run on a pseudo-terminal, as a person at a terminal meets it: read what it prints,
// type into it, press Ctrl-C, hang up. For REPL tests; include from a test executable.
#pragma once

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <optional>
#include <poll.h>
#include <pty.h>
#include <string>
#include <string_view>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace kdive::testing {

class PtyProcess {
public:
    // Starts argv[0] (looked up in PATH) with a pty as its controlling terminal.
    explicit PtyProcess(const std::vector<std::string>& argv) {
        struct winsize size {};
        size.ws_row = 50;
        size.ws_col = 200;
        pid_ = forkpty(&master_, nullptr, nullptr, &size);
        if (pid_ == 0) {
            std::vector<char*> args;
            args.reserve(argv.size() + 1);
            for (const auto& arg : argv) {
                args.push_back(const_cast<char*>(arg.c_str()));
            }
            args.push_back(nullptr);
            execvp(args[0], args.data());
            _exit(127);
        }
    }
    PtyProcess(const PtyProcess&) = delete;
    PtyProcess& operator=(const PtyProcess&) = delete;
    ~PtyProcess() {
        if (pid_ > 0 && !exit_status_) {
            ::kill(pid_, SIGKILL);
            int status = 0;
            waitpid(pid_, &status, 0);
        }
        if (master_ >= 0) {
            close(master_);
        }
    }

    bool started() const { return pid_ > 0 && master_ >= 0; }
    pid_t pid() const { return pid_; }
    // Everything printed so far.
    const std::string& output() const { return output_; }

    // Reads until `text` appears after position `from` (default: anywhere after the last match),
    // or the timeout passes, or the program closes the terminal.
    bool wait_for(std::string_view text, std::chrono::milliseconds timeout) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            if (auto at = output_.find(text, seen_); at != std::string::npos) {
                seen_ = at + text.size();
                return true;
            }
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0 || !read_some(left)) {
                return false;
            }
        }
    }
    void type(std::string_view text) { (void)::write(master_, text.data(), text.size()); }
    void ctrl_c() { type("\x03"); }

    // Closes the terminal: the session leader and its foreground group get SIGHUP.
    void hang_up() {
        close(master_);
        master_ = -1;
    }

    // The exit status once the program ended within the timeout.
    std::optional<int> wait_exit(std::chrono::milliseconds timeout) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (!exit_status_) {
            int status = 0;
            if (waitpid(pid_, &status, WNOHANG) == pid_) {
                exit_status_ = status;
                break;
            }
            if (std::chrono::steady_clock::now() > deadline) {
                break;
            }
            if (master_ >= 0) {
                (void)read_some(std::chrono::milliseconds(50));
            } else {
                std::this_thread::sleep_for(std::chrono::milliseconds(50));
            }
        }
        return exit_status_;
    }

private:
    bool read_some(std::chrono::milliseconds wait) {
        struct pollfd fd {
            master_, POLLIN, 0
        };
        const int ready = poll(&fd, 1, static_cast<int>(std::min<long>(wait.count(), 200)));
        if (ready <= 0) {
            return ready == 0 || errno == EINTR;
        }
        char buffer[4096];
        const ssize_t n = ::read(master_, buffer, sizeof buffer);
        if (n <= 0) {
            return false; // EIO: the other side is gone
        }
        output_.append(buffer, static_cast<std::size_t>(n));
        return true;
    }

    pid_t pid_ = -1;
    int master_ = -1;
    std::string output_;
    std::size_t seen_ = 0;
    std::optional<int> exit_status_;
};

} // namespace kdive::testing
