// `kdive serve` in front of the shared guest, with real clients: GDB's info threads against the
// guest's own tasks, a sleeping task's bt against kdive's, the modules as GDB's shared
// libraries, monitor commands, GDB/MI as IDEs drive it, and LLDB.
#include "attached_guest.hpp"

#include <csignal>
#include <netinet/in.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

namespace kdive::testing {
namespace {

std::string serve_command(const AttachedGuest& guest) {
    return std::string("target remote | ") + KDIVE_BINARY + " serve " +
           guest.vm->session().dir.string() + " --stdio";
}

// GDB batch on the guest through `kdive serve`, with the stub lent for the run.
Result<ProcessOutput> served_gdb(AttachedGuest& guest, const std::vector<std::string>& commands) {
    std::vector<std::string> args{guest.info_path.string(), "-ex", serve_command(guest)};
    for (const auto& command : commands) {
        args.insert(args.end(), {"-ex", command});
    }
    args.insert(args.end(), {"-ex", "detach"});
    RunOptions options;
    options.timeout = std::chrono::minutes(5);
    guest.release();
    auto gdb = run_process(gdb_batch(args), options);
    auto reattached = guest.attach();
    EXPECT_TRUE(reattached) << reattached.error().message;
    return gdb;
}

// "* 12   Thread 92 "sh" (sh [pid 92, CPU 1, state S]) 0xffff... in ..." → tid → name.
std::map<std::uint64_t, std::string> gdb_threads(const std::string& out) {
    std::map<std::uint64_t, std::string> threads;
    const std::regex row(R"re(^\*?\s+\d+\s+Thread (\d+) "([^"]*)" \()re");
    std::istringstream lines(out);
    std::smatch match;
    for (std::string line; std::getline(lines, line);) {
        if (std::regex_search(line, match, row)) {
            threads[std::stoull(match[1])] = match[2];
        }
    }
    return threads;
}

// Function names of a GDB backtrace, inlined frames included, in order.
std::vector<std::string> gdb_functions(const std::string& out) {
    std::vector<std::string> names;
    const std::regex frame(R"(^#\d+\s+(?:0x[0-9a-f]+ in )?([A-Za-z_][\w.]*) \()");
    std::istringstream lines(out);
    std::smatch match;
    for (std::string line; std::getline(lines, line);) {
        if (std::regex_search(line, match, frame)) {
            names.push_back(match[1]);
        }
    }
    return names;
}

bool arm64_guest() {
    return test_kernel().ends_with("-arm64");
}

// Whether GDB can walk an arm64 kernel stack whose return addresses are signed (Debian's arm64
// kernels sign them: CONFIG_ARM64_PTR_AUTH_KERNEL, and the guest CPU has pointer
// authentication). GDB 13 removes the authentication code by clearing the pauth_cmask bits,
// which leaves a kernel address without its top bits ("0x0000800008bb55c0 [PAC] in ?? ()");
// GDB 14 sign-extends kernel addresses (aarch64_remove_top_bits).
bool gdb_unwinds_signed_kernel_frames() {
    if (!arm64_guest()) {
        return true;
    }
    auto version = run_process({test_gdb(), "--version"});
    std::smatch match;
    const std::string first = version ? version->out.substr(0, version->out.find('\n')) : "";
    if (!std::regex_search(first, match, std::regex(R"((\d+)\.\d+(?:\.\d+)?\s*$)"))) {
        return true; // an unknown GDB is held to the full comparison
    }
    return std::stoi(match[1]) >= 14;
}

// GDB 13 on an arm64 guest: frame #1 is the caller's return address with the bits of the
// pauth_cmask the server gave (those above the kernel's 48 or 52 address bits, printed by
// `p/x $pauth_cmask`) cleared, as GDB 13 strips it.
void expect_gdb13_stops_at_the_first_signed_frame(const std::string& out, const Json& ours) {
    ASSERT_GE(ours["frames"].size(), 2u) << ours.dump();
    std::smatch match;
    ASSERT_TRUE(std::regex_search(out, match, std::regex(R"(\$\d+ = (0x[0-9a-f]+))"))) << out;
    const std::uint64_t mask = std::stoull(match[1], nullptr, 16);
    EXPECT_NE(mask, 0u) << out;
    const std::uint64_t caller =
        std::stoull(ours["frames"][1]["pc"].get<std::string>(), nullptr, 16);
    EXPECT_NE(out.find(fmt::format("#1  {:#018x} [PAC] in ?? ()", caller & ~mask)),
              std::string::npos)
        << out << "\nkdive's: " << ours.dump();
}

void require_gdb() {
    if (find_program(test_gdb()).empty()) {
        KDIVE_MISSING_PREREQUISITE() << "gdb is not installed";
    }
}

// Every task is a thread named by its comm (the idle tasks one per CPU), as kdive's ps lists
// them at the same stop and the guest's /proc listed them.
TEST_F(KernelAwareness, ServedThreadsAreTheGuestsTasks) {
    require_gdb();
    auto gdb = served_gdb(*guest_, {"info threads", "monitor ps --json"});
    ASSERT_TRUE(gdb) << gdb.error().message;
    const auto threads = gdb_threads(gdb->out);
    // GDB prints what a remote target sends (monitor output) on stderr in batch mode.
    Json ps;
    std::istringstream err(gdb->err);
    for (std::string line; std::getline(err, line);) {
        if (line.starts_with("[{")) {
            ps = Json::parse(line, nullptr, false);
        }
    }
    ASSERT_TRUE(ps.is_array()) << gdb->out << gdb->err;
    std::size_t tasks = 0;
    for (const auto& task : ps) {
        const int pid = task["pid"].get<int>();
        if (pid == 0) {
            continue; // swapper/0 is CPU 0's idle thread, counted below
        }
        ++tasks;
        auto found = threads.find(static_cast<std::uint64_t>(pid));
        ASSERT_NE(found, threads.end()) << "pid " << pid << " is no thread:\n" << gdb->out;
        EXPECT_EQ(found->second, terminal_text(task["comm"].get<std::string>())) << pid;
    }
    // One idle thread per online CPU, named after it.
    std::size_t idle = 0;
    for (const auto& [id, name] : threads) {
        if (id >= 4194304) {
            EXPECT_EQ(name, fmt::format("swapper/{}", id - 4194304));
            ++idle;
        }
    }
    EXPECT_EQ(idle, 2u) << gdb->out;
    EXPECT_EQ(threads.size(), tasks + idle) << gdb->out;
    // The guest's own /proc: the long-lived processes are threads under their names.
    for (int pid : guest_->facts.marked) {
        ASSERT_TRUE(threads.contains(static_cast<std::uint64_t>(pid))) << pid;
        EXPECT_EQ(threads.at(static_cast<std::uint64_t>(pid)), "sleep");
    }
    // Each process of the guest's /proc that still lives at this stop (kdive's ps, checked
    // against /proc elsewhere, names it as /proc did) is a thread named by its comm.
    std::map<int, std::pair<std::string, std::string>> live; // pid -> /proc's name, comm
    for (const auto& task : ps) {
        live[task["pid"].get<int>()] = {task["name"].get<std::string>(),
                                        task["comm"].get<std::string>()};
    }
    std::size_t checked = 0;
    for (const auto& [pid, process] : guest_->facts.processes) {
        auto now = live.find(pid);
        if (pid == 0 || now == live.end() || now->second.first != process.comm) {
            continue; // exited, or exec'd, since the guest printed it
        }
        ++checked;
        auto found = threads.find(static_cast<std::uint64_t>(pid));
        ASSERT_NE(found, threads.end()) << "pid " << pid << " (" << process.comm << ")";
        EXPECT_EQ(found->second, terminal_text(now->second.second)) << pid;
    }
    EXPECT_GE(checked * 2, guest_->facts.processes.size()) << gdb->out;
}

// A sleeping task's registers are the ones it saved: GDB's own unwinder walks up from
// schedule() and names the functions kdive's bt names (GDB adds the inlined ones). arm64's
// saved pc is in __switch_to (cpu_switch_to's caller), x86-64's in __schedule.
TEST_F(KernelAwareness, ServedSleepingTaskBacktraceMatchesKdives) {
    require_gdb();
    ASSERT_FALSE(guest_->facts.marked.empty());
    const int pid = guest_->facts.marked.front();
    std::vector<std::string> commands{
        fmt::format("python [t.switch() for t in gdb.selected_inferior().threads() if "
                    "t.ptid[1] == {}]",
                    pid),
        "info registers rip rsp rax", "bt 20"};
    if (arm64_guest()) {
        commands[1] = "info registers pc sp x0";
        commands.insert(commands.begin() + 2, "p/x $pauth_cmask");
    }
    auto gdb = served_gdb(*guest_, commands);
    ASSERT_TRUE(gdb) << gdb.error().message;
    auto ours = guest_->json(fmt::format("bt {} --json", pid));
    ASSERT_TRUE(ours.contains("frames")) << ours.dump();
    const auto theirs = gdb_functions(gdb->out);
    ASSERT_FALSE(theirs.empty()) << gdb->out << gdb->err;
    // Registers the kernel did not save are unavailable, not made up.
    EXPECT_NE(gdb->out.find("<unavailable>"), std::string::npos) << gdb->out;
    if (!gdb_unwinds_signed_kernel_frames()) {
        EXPECT_EQ(theirs.front(), ours["frames"][0]["function"].get<std::string>()) << gdb->out;
        expect_gdb13_stops_at_the_first_signed_frame(gdb->out, ours);
        return;
    }
    EXPECT_NE(std::find(theirs.begin(), theirs.end(), "schedule"), theirs.end()) << gdb->out;
    std::size_t at = 0;
    for (const auto& frame : ours["frames"]) {
        const std::string name = frame["function"].get<std::string>();
        if (name.starts_with("entry_SYSCALL") || name == "el0t_64_sync") {
            break; // the entry from user space: below it GDB reads on into user space
        }
        auto found = std::find(theirs.begin() + static_cast<long>(at), theirs.end(), name);
        ASSERT_NE(found, theirs.end()) << name << " missing from GDB's bt:\n"
                                       << gdb->out << "\nkdive's: " << ours.dump();
        at = static_cast<std::size_t>(found - theirs.begin()) + 1;
    }
}

// Modules are shared libraries: GDB lists each loaded one's debug file and resolves a
// breakpoint inside it at the address lsmod gives, without lx-symbols.
TEST_F(KernelAwareness, ServedModulesAreSharedLibraries) {
    require_gdb();
    auto lsmod = guest_->json("lsmod --json");
    auto gdb = served_gdb(*guest_, {"info sharedlibrary", "info address dummy_setup"});
    ASSERT_TRUE(gdb) << gdb.error().message;
    std::size_t listed = 0;
    for (const auto& module : guest_->facts.modules) {
        std::string file = module.name;
        std::replace(file.begin(), file.end(), '_', '.');
        const std::regex shown("/" + std::regex_replace(file, std::regex("\\."), "[-_]") + "\\.ko");
        if (std::regex_search(gdb->out, shown)) {
            ++listed;
        }
    }
    EXPECT_EQ(listed, guest_->facts.modules.size()) << gdb->out;
    auto dummy = std::find_if(lsmod.begin(), lsmod.end(),
                              [](const Json& m) { return m["name"] == "dummy"; });
    ASSERT_NE(dummy, lsmod.end()) << lsmod.dump();
    std::smatch where;
    ASSERT_TRUE(std::regex_search(
        gdb->out, where,
        std::regex(R"(Symbol "dummy_setup" is a function at address (0x[0-9a-f]+))")))
        << gdb->out << gdb->err;
    const std::uint64_t address = std::stoull(where[1], nullptr, 16);
    const std::uint64_t base = std::stoull((*dummy)["base"].get<std::string>(), nullptr, 16);
    const std::uint64_t size = (*dummy)["size"].get<std::uint64_t>();
    EXPECT_GE(address, base);
    EXPECT_LT(address, base + size);
}

// `monitor CMD` runs kdive's commands and returns their text; running the guest is left to
// the debugger's own commands.
TEST_F(KernelAwareness, ServedMonitorRunsKdiveCommands) {
    require_gdb();
    ASSERT_FALSE(guest_->facts.marked.empty());
    auto gdb = served_gdb(*guest_, {"monitor ps", "monitor kdive lsmod", "monitor continue"});
    ASSERT_TRUE(gdb) << gdb.error().message;
    gdb->out += gdb->err; // the remote target's text, on stderr in batch mode
    for (int pid : guest_->facts.marked) {
        EXPECT_TRUE(
            std::regex_search(gdb->out, std::regex(fmt::format(R"(\n\s*{}\s+{}\s)", pid, pid))))
            << gdb->out;
    }
    EXPECT_NE(gdb->out.find("dummy"), std::string::npos) << gdb->out;
    EXPECT_NE(gdb->out.find("`continue` is the debugger's to do"), std::string::npos) << gdb->out;
}

// GDB/MI as IDEs drive it: -thread-info names every task, -stack-list-frames of a sleeping
// one reaches schedule.
TEST_F(KernelAwareness, ServedToGdbMi) {
    require_gdb();
    ASSERT_FALSE(guest_->facts.marked.empty());
    const int pid = guest_->facts.marked.front();
    // The MI thread id of the marked task comes from -thread-info; a second MI run selects it.
    const auto mi = [&](const std::vector<std::string>& commands) {
        std::vector<std::string> lines{
            "-gdb-set width 0", "-target-select remote | " + std::string(KDIVE_BINARY) + " serve " +
                                    guest_->vm->session().dir.string() + " --stdio"};
        lines.insert(lines.end(), commands.begin(), commands.end());
        lines.insert(lines.end(), {"-target-detach", "-gdb-exit"});
        RunOptions options;
        options.timeout = std::chrono::minutes(5);
        guest_->release();
        auto run = run_process(
            {"sh", "-c",
             "printf '%s\\n'" + shell_words(lines) + " | " +
                 shell_words({test_gdb(), "--interpreter=mi3", "-nx", "-q", "-iex",
                              "set index-cache enabled on", guest_->info_path.string()})},
            options);
        auto reattached = guest_->attach();
        EXPECT_TRUE(reattached) << reattached.error().message;
        return run;
    };
    auto listed = mi({"-thread-info"});
    ASSERT_TRUE(listed) << listed.error().message;
    std::smatch match;
    const std::regex entry(fmt::format(
        R"re(\{{id="(\d+)",target-id="Thread {}",details="sleep \[pid {}, CPU \d+, state S\]",name="sleep")re",
        pid, pid));
    ASSERT_TRUE(std::regex_search(listed->out, match, entry)) << listed->out;
    const std::string id = match[1];
    EXPECT_GT(std::count(listed->out.begin(), listed->out.end(), '{'), 20) << listed->out;
    auto frames = mi({"-thread-select " + id, "-stack-list-frames"});
    ASSERT_TRUE(frames) << frames.error().message;
    EXPECT_NE(frames->out.find("^done,stack=["), std::string::npos) << frames->out;
    // GDB 13 on arm64 names the saved pc's function only (see above).
    EXPECT_NE(frames->out.find(gdb_unwinds_signed_kernel_frames() ? "func=\"schedule\""
                                                                  : "func=\"__switch_to\""),
              std::string::npos)
        << frames->out;
}

// A free TCP port on the loopback interface, for LLDB (which connects over TCP).
int free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    (void)::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
    (void)::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
    const int port = ntohs(address.sin_port);
    ::close(fd);
    return port;
}

// LLDB's gdb-remote: thread list shows the tasks, bt of a sleeping one goes through schedule.
// LLDB 14 spends minutes of CPU on its first frames when given the vmlinux's DWARF (it stalls
// above schedule()), so it gets the symbols alone, as README says.
TEST_F(KernelAwareness, ServedToLldb) {
    if (find_program("lldb").empty()) {
        KDIVE_MISSING_PREREQUISITE() << "lldb is not installed";
    }
    ASSERT_FALSE(guest_->facts.marked.empty());
    const int pid = guest_->facts.marked.front();
    TempDir work("served-lldb");
    const auto symbols = work.path() / "vmlinux";
    // The host's objcopy reads x86-64 files only; arm64's comes with the cross compiler.
    auto stripped = run_process({arm64_guest() ? "aarch64-linux-gnu-objcopy" : "objcopy",
                                 "--strip-debug", guest_->info_path.string(), symbols.string()});
    ASSERT_TRUE(stripped && stripped->exit_code == 0)
        << (stripped ? stripped->err : stripped.error().message);
    const int port = free_port();
    const auto log = work.path() / "serve.log";
    guest_->release();
    auto started =
        run_process({"sh", "-c",
                     shell_words({KDIVE_BINARY, "serve", guest_->vm->session().dir.string(),
                                  "--listen", fmt::format("127.0.0.1:{}", port)}) +
                         " > " + shell_words({log.string()}) + " 2>&1 & echo $!"});
    ASSERT_TRUE(started) << started.error().message;
    const pid_t server = std::stoi(started->out);
    // Until the server listens (it attaches to the stub and reads the vmlinux first).
    for (int i = 0; i < 100 && read_text(log).find("serving") == std::string::npos; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    RunOptions options;
    options.timeout = std::chrono::minutes(3);
    const auto lldb = [&](const std::vector<std::string>& commands) {
        std::vector<std::string> argv{"lldb", "-b",
                                      "-o",   "target create " + symbols.string(),
                                      "-o",   fmt::format("gdb-remote 127.0.0.1:{}", port)};
        for (const auto& command : commands) {
            argv.insert(argv.end(), {"-o", command});
        }
        argv.insert(argv.end(), {"-o", "detach"});
        return run_process(argv, options);
    };
    auto listed = lldb({"thread list"});
    std::smatch match;
    const bool found =
        listed && std::regex_search(listed->out, match,
                                    std::regex(fmt::format(R"(thread #(\d+): tid = {},)", pid)));
    auto traced = found ? lldb({"thread select " + std::string(match[1]), "bt"})
                        : Result<ProcessOutput>(fail("no thread list"));
    ::kill(server, SIGTERM);
    for (int i = 0; i < 100 && ::kill(server, 0) == 0; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    auto reattached = guest_->attach();
    ASSERT_TRUE(reattached) << reattached.error().message;
    ASSERT_TRUE(listed) << listed.error().message;
    ASSERT_TRUE(found) << listed->out << listed->err << read_text(log);
    const auto threads = std::count(listed->out.begin(), listed->out.end(), '#');
    EXPECT_GT(threads, 20) << listed->out;
    EXPECT_NE(listed->out.find("name = 'sleep'"), std::string::npos) << listed->out;
    ASSERT_TRUE(traced) << traced.error().message;
    EXPECT_NE(traced->out.find("`schedule + "), std::string::npos) << traced->out << traced->err;
    EXPECT_NE(traced->out.find("`__schedule + "), std::string::npos) << traced->out;
}

} // namespace
} // namespace kdive::testing
