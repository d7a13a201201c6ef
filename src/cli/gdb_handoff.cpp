// GDB command line for a kdive session, and running GDB with the terminal.
#include "cli/gdb_handoff.hpp"

#include "lab/kernel_gdb_scripts.hpp"
#include "lab/kernel_source.hpp"
#include "support/atomic_file.hpp"
#include "support/subprocess.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <sys/wait.h>
#include <unistd.h>

namespace kdive::cli {

std::string gdb_program(const lab::Session& session, const GdbHandoff& handoff) {
    if (handoff.gdb == default_gdb && session.arch != lab::host_arch()) {
        return "gdb-multiarch";
    }
    return handoff.gdb;
}

std::vector<std::string> gdb_arguments(const lab::Session& session, const GdbHandoff& handoff,
                                       const std::string& kdive_binary) {
    std::vector<std::string> args{gdb_program(session, handoff), "-q"};
    if (!session.vmlinux.empty()) {
        // GDB reads a distribution vmlinux's DWARF for 20 to 50 s at every start; with its index
        // cache (~/.cache/gdb, about 40 MB a kernel) only the first start of a kernel does.
        args.insert(args.end(),
                    {"-iex", std::string(gdb_index_cache_setting), session.vmlinux.string()});
    }
    // GDB talks to `kdive serve` on a pipe, so the stub's socket stays private (mode 0600, no
    // TCP port): kernel tasks are GDB's threads, modules its shared libraries, and `monitor
    // kdive ...` runs kdive's commands (kdive's lx-* in GDB).
    args.insert(args.end(), {"-ex", "target remote | " + kdive_binary + " serve " +
                                        session.dir.string() + " --stdio"});
    if (!session.vmlinux.empty()) {
        // Beside the vmlinux for a kernel build folder; prepared from the Debian source for a
        // fetched kernel (`kdive kernel gdb-scripts`).
        if (auto scripts = lab::find_gdb_scripts(session.vmlinux)) {
            args.insert(args.end(),
                        {"-ex", "add-auto-load-safe-path " + scripts->parent_path().string(), "-ex",
                         "source " + scripts->string()});
        }
        // kdive's lx-* after the kernel's own, which it leaves in place.
        args.insert(args.end(), {"-ex", "source " + lx_script_path(session).string()});
        // The source lines at stops, from the tree kdive's own list uses.
        if (auto tree = lab::source_tree_for_vmlinux(session.vmlinux)) {
            args.insert(args.end(), {"-ex", "directory " + tree->tree.string()});
            if (!tree->build_prefix.empty()) {
                args.insert(args.end(), {"-ex", "set substitute-path " + tree->build_prefix + " " +
                                                    tree->tree.string()});
            }
        }
    }
    // `delete` would ask "Delete all breakpoints? (y or n)" and eat the user's first command
    // as its answer: the set-up runs without confirmations, which are back on after it.
    if (handoff.run_to_start_kernel) {
        args.insert(args.end(), {"-ex", "set confirm off", "-ex", "hbreak " + handoff.break_at,
                                 "-ex", "continue", "-ex", "delete", "-ex", "set confirm on"});
    }
    return args;
}

std::filesystem::path lx_script_path(const lab::Session& session) {
    return session.dir / "kdive-lx.py";
}

Result<> write_lx_script(const lab::Session& session) {
    static constexpr std::string_view text =
#include "kdive_lx_script.inc"
        ;
    return write_file_atomically(lx_script_path(session), text);
}

Result<int> run_gdb(const lab::Session& session, const GdbHandoff& handoff) {
    const std::string program = gdb_program(session, handoff);
    if (find_program(program).empty()) {
        return fail("{} not found (install the Debian package {}, or pass --gdb=PATH)", program,
                    program == "gdb-multiarch" ? program : std::string("gdb"));
    }
    if (!session.vmlinux.empty()) {
        if (auto written = write_lx_script(session); !written) {
            return std::unexpected(written.error());
        }
    }
    std::error_code ec;
    auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (ec) {
        return fail("cannot find the kdive binary: {}", ec.message());
    }
    auto args = gdb_arguments(session, handoff, self.string());
    pid_t pid = fork();
    if (pid < 0) {
        return fail("fork: {}", std::strerror(errno));
    }
    if (pid == 0) {
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, nullptr);
        std::vector<char*> argv;
        argv.reserve(args.size() + 1);
        for (auto& a : args) {
            argv.push_back(a.data());
        }
        argv.push_back(nullptr);
        execvp(argv[0], argv.data());
        _exit(127);
    }
    // GDB owns Ctrl-C while it runs; kdive waits for it to finish.
    struct sigaction ignore {};
    struct sigaction old {};
    ignore.sa_handler = SIG_IGN;
    sigaction(SIGINT, &ignore, &old);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    sigaction(SIGINT, &old, nullptr);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

} // namespace kdive::cli
