// kdive beside GDB on the same guest: the kernel's own lx-scripts (lx-ps, lx-slabinfo,
// lx-interruptlist, lx-timerlist, lx-mounts) against kdive's commands, kdive's lx-* and
// functions inside GDB, and module frames named in GDB's frame and finish.
#include "attached_guest.hpp"

namespace kdive::testing {
namespace {

// GDB's lx-ps (the kernel's or kdive's) lists the tasks kdive's `ps --json` listed, names
// equal; the guest runs between kdive's snapshots and GDB's, so its short-lived readers may
// come and go, and a task may exec in between: a name that differs from `before` must then be
// the one kdive sees `after` GDB, if the task is still there.
void expect_lx_ps_agrees(const Json& before, const std::string& gdb_output, const Json& after) {
    std::map<int, std::string> theirs;
    std::istringstream lines(gdb_output);
    // "0xffff888003e9c000 42 kworker/0:1", init_task's address followed by "<init_task>".
    const std::regex row(R"(^\s*0x[0-9a-f]+(?:\s+<[^>]*>)?\s+([0-9]+)\s+(\S.*?)\s*$)");
    std::smatch match;
    for (std::string line; std::getline(lines, line);) {
        if (std::regex_match(line, match, row)) {
            theirs[std::stoi(match[1])] = match[2];
        }
    }
    ASSERT_GT(theirs.size(), 10u) << "lx-ps printed:\n" << gdb_output;
    std::map<int, std::string> later;
    for (const auto& task : after) {
        later[task["pid"].get<int>()] = task["comm"].get<std::string>();
    }
    std::size_t same = 0;
    for (const auto& task : before) {
        auto found = theirs.find(task["pid"].get<int>());
        if (found == theirs.end()) {
            continue;
        }
        ++same;
        if (found->second == task["comm"].get<std::string>()) {
            continue;
        }
        // A forked child that exec'd (and may since have exited, like the guest's `sleep`).
        auto exec = later.find(found->first);
        if (exec != later.end()) {
            EXPECT_EQ(found->second, exec->second) << "pid " << found->first;
        }
    }
    EXPECT_GE(same + 3, before.size());
    EXPECT_GE(same + 3, theirs.size());
}

// The kernel's own lx-scripts (vmlinux-gdb.py from its Debian source, through `kdive kernel
// gdb-scripts`), or why there are none. Debian's linux-source exists for some releases only
// (not 5.10's or sid's): no scripts there is the kernel's fact; any other failure is a missing
// prerequisite.
struct LxScripts {
    std::string script;
    std::string why;
    bool missing = false;
};

LxScripts kernel_lx_scripts() {
    RunOptions options;
    options.timeout = std::chrono::minutes(15);
    auto scripts = run_process({KDIVE_BINARY, "kernel", "gdb-scripts", test_kernel()}, options);
    if (!scripts) {
        return {"", scripts.error().message, true};
    }
    if (scripts->exit_code != 0) {
        return {"", fmt::format("no lx-scripts for {}: {}", test_kernel(), scripts->err),
                scripts->err.find("no Debian linux-source package") == std::string::npos};
    }
    std::string script = scripts->out;
    while (!script.empty() && script.back() == '\n') {
        script.pop_back();
    }
    return {script.substr(script.rfind('\n') + 1), "", false};
}

// GDB's commands that leave an arm64 guest stopped in the kernel. QEMU's stub reads memory
// through the translation regime of the vCPU it stopped, and at EL0 the kernel half is hidden
// (E0PD, or KPTI's trampoline tables): a stop in a busy user process would let GDB read no
// kernel memory. A breakpoint on the tick ends that. An x86-64 guest's page tables map the
// kernel in user mode too, so it needs none.
std::vector<std::string> stop_in_kernel() {
    if (!test_kernel().ends_with("-arm64")) {
        return {};
    }
    return {"-ex", "hbreak update_process_times", "-ex", "continue", "-ex", "delete"};
}

// GDB's arguments: `before`, the kernel-mode stop, then `after`.
std::vector<std::string> gdb_arguments(std::vector<std::string> before,
                                       const std::vector<std::string>& after) {
    const auto stop = stop_in_kernel();
    before.insert(before.end(), stop.begin(), stop.end());
    before.insert(before.end(), after.begin(), after.end());
    return before;
}

// GDB with the kernel's own lx-scripts (from its Debian source) on the same stopped guest: the
// same tasks with the same pids and names.
TEST_F(KernelAwareness, LxPsInGdbAgrees) {
    if (find_program(test_gdb()).empty()) {
        KDIVE_MISSING_PREREQUISITE() << "gdb is not installed";
    }
    const auto scripts = kernel_lx_scripts();
    if (scripts.script.empty()) {
        if (scripts.missing) {
            KDIVE_MISSING_PREREQUISITE() << scripts.why;
        }
        GTEST_SKIP() << scripts.why;
    }
    const std::string& script = scripts.script;
    RunOptions options;
    options.timeout = std::chrono::minutes(15);

    // The guest runs between the two debuggers: compare the tasks that live on.
    auto ours = guest_->json("ps --json");
    guest_->release();
    auto gdb = run_process(
        gdb_batch(gdb_arguments({guest_->info_path.string(), "-ex", "source " + script, "-ex",
                                 std::string("target remote | ") + KDIVE_BINARY + " relay " +
                                     guest_->vm->session().gdb},
                                {"-ex", "lx-ps", "-ex", "detach"})),
        options);
    auto reattached = guest_->attach();
    ASSERT_TRUE(reattached) << reattached.error().message;
    ASSERT_TRUE(gdb) << gdb.error().message;
    expect_lx_ps_agrees(ours, gdb->out, guest_->json("ps --json"));
}

// kdive's own lx-* in GDB, on every kernel (no kernel scripts needed): answered by the relay
// through `monitor kdive`, agreeing with kdive and with each other at one stop.
TEST_F(KernelAwareness, KdivesLxInGdbAgree) {
    if (find_program(test_gdb()).empty()) {
        KDIVE_MISSING_PREREQUISITE() << "gdb is not installed";
    }
    auto ours = guest_->json("ps --json");
    // The running task's per-CPU home: x86-64's pcpu_hot.current_task from 6.2 to 6.14,
    // current_task before and after; arm64 keeps it in sp_el0, and its per-CPU copy for the
    // return to user mode in __entry_task.
    const bool arm64 = test_kernel().ends_with("-arm64");
    const bool hot = !arm64 && guest_->attempt("p sizeof(pcpu_hot)").has_value();
    const std::string home = arm64 ? "__entry_task" : hot ? "pcpu_hot" : "current_task";
    const std::string member = hot ? ".current_task" : "";
    ASSERT_TRUE(cli::write_lx_script(guest_->vm->session()));
    guest_->release();
    RunOptions options;
    options.timeout = std::chrono::minutes(5);
    auto gdb = run_process(
        gdb_batch(gdb_arguments(
            {guest_->info_path.string(), "-ex",
             std::string("target remote | ") + KDIVE_BINARY + " relay " +
                 guest_->vm->session().gdb + " --vmlinux " + guest_->info_path.string()},
            {"-ex",
             "source " + cli::lx_script_path(guest_->vm->session()).string(),
             "-ex",
             "p $lx_current(1).pid == $lx_per_cpu(\"" + home + "\", 1)" + member + "->pid",
             "-ex",
             "p $lx_current(0).pid == $lx_per_cpu(" + home + ", 0)" + member + "->pid",
             "-ex",
             "p $lx_task_by_pid(1).pid",
             "-ex",
             "p $lx_module(\"dummy\").name",
             "-ex",
             "p $container_of(&init_task.tasks, \"struct task_struct\", \"tasks\") == "
             "&init_task",
             "-ex",
             "lx-ps",
             "-ex",
             "thread 2",
             "-ex",
             "kdive bt -a",
             "-ex",
             "kdive vtop init_task",
             "-ex",
             "p $lx_current().pid == $lx_current(1).pid",
             "-ex",
             "info registers " + std::string(arm64 ? "pc" : "rip"),
             "-ex",
             "lx-symbols",
             "-ex",
             "p dummy_get_stats64",
             "-ex",
             "detach"})),
        options);
    auto reattached = guest_->attach();
    ASSERT_TRUE(reattached) << reattached.error().message;
    ASSERT_TRUE(gdb) << gdb.error().message;
    // Every vCPU's registers and physical memory, GDB's own thread selection kept.
    EXPECT_NE(gdb->out.find("CPU 1 ("), std::string::npos) << gdb->out << gdb->err;
    EXPECT_NE(gdb->out.find("physical 0x"), std::string::npos) << gdb->out << gdb->err;
    EXPECT_NE(gdb->out.find("$6 = 1\n"), std::string::npos) << gdb->out << gdb->err;
    // lx-symbols: the module's own debug file where the guest loaded it.
    EXPECT_NE(gdb->out.find("loading "), std::string::npos) << gdb->out << gdb->err;
    // GDB names the address by its blocks, and relocates a module's DWARF by .text's address
    // alone: on arm64 dummy_init_module's block (.init.text) lands over dummy_get_stats64, and
    // GDB 13 prints <dummy_init_module+176>. The address is what must agree with kdive's.
    std::smatch placed;
    ASSERT_TRUE(std::regex_search(
        gdb->out, placed,
        std::regex(arm64 ? R"(\$7 = .* (0x[0-9a-f]+) <dummy_[a-z0-9_]+(\+[0-9]+)?>)"
                         : R"(\$7 = .* (0x[0-9a-f]+) <dummy_get_stats64>)")))
        << gdb->out << gdb->err;
    EXPECT_NE(guest_->run("info symbol " + placed[1].str()).find("dummy_get_stats64"),
              std::string::npos);
    EXPECT_NE(gdb->out.find("$1 = 1\n"), std::string::npos) << gdb->out << gdb->err;
    EXPECT_NE(gdb->out.find("$2 = 1\n"), std::string::npos) << gdb->out << gdb->err;
    EXPECT_NE(gdb->out.find("$3 = 1\n"), std::string::npos) << gdb->out << gdb->err;
    EXPECT_NE(gdb->out.find("$4 = \"dummy"), std::string::npos) << gdb->out << gdb->err;
    EXPECT_NE(gdb->out.find("$5 = 1\n"), std::string::npos) << gdb->out << gdb->err;
    expect_lx_ps_agrees(ours, gdb->out, guest_->json("ps --json"));
}

// What one GDB command printed, told apart by the driver below: its output or its error.
struct LxAnswer {
    bool ok = false;
    double seconds = 0;
    std::string text;
};

// A GDB Python driver: runs each lx command, timed, and prints "@@@ COMMAND ok|error SECONDS"
// before its output or its error, so one GDB run answers them all and an error (a command this
// kernel lacks, a script its structures outgrew) stops only its own command.
std::string lx_driver(const std::vector<std::string>& commands) {
    std::string list;
    for (const auto& command : commands) {
        list += "'" + command + "', ";
    }
    return "import time\n"
           "import gdb\n"
           "for command in [" +
           list +
           "]:\n"
           "    start = time.monotonic()\n"
           "    try:\n"
           "        text, status = gdb.execute(command, to_string=True), 'ok'\n"
           "    except Exception as e:\n"
           "        text, status = str(e) + '\\n', 'error'\n"
           "    gdb.write('@@@ %s %s %.3f\\n%s' % (command, status, time.monotonic() - start, "
           "text))\n"
           "gdb.write('@@@ end\\n')\n";
}

std::map<std::string, LxAnswer> parse_lx_answers(const std::string& out) {
    std::map<std::string, LxAnswer> answers;
    std::istringstream lines(out);
    LxAnswer* current = nullptr;
    const std::regex head(R"(^@@@ (\S+) (ok|error) ([0-9.]+)$)");
    std::smatch match;
    for (std::string line; std::getline(lines, line);) {
        if (std::regex_match(line, match, head)) {
            current = &answers[match[1]];
            current->ok = match[2] == "ok";
            current->seconds = std::stod(match[3]);
        } else if (line.starts_with("@@@ ")) {
            current = nullptr;
        } else if (current != nullptr) {
            current->text += line + "\n";
        }
    }
    return answers;
}

// lx-slabinfo's rows: "0xffff888003c41000 | task_struct | 120 | 126 | 6400 | 5 | 8" (the name
// cut at 19 characters), by the kmem_cache's address.
struct LxSlab {
    std::string name;
    std::uint64_t size = 0;
    std::uint64_t objects_per_slab = 0;
    std::uint64_t pages_per_slab = 0;
};
std::map<std::string, LxSlab> parse_lx_slabinfo(const std::string& text) {
    std::map<std::string, LxSlab> out;
    const std::regex row(
        R"(^\s*(0x[0-9a-f]+)\s*\|\s*(.*?)\s*\|\s*\d+\s*\|\s*\d+\s*\|\s*(\d+)\s*\|\s*(\d+)\s*\|\s*(\d+)\s*$)");
    std::istringstream lines(text);
    std::smatch match;
    for (std::string line; std::getline(lines, line);) {
        if (std::regex_match(line, match, row)) {
            out[match[1]] = {match[2], std::stoull(match[3]), std::stoull(match[4]),
                             std::stoull(match[5])};
        }
    }
    return out;
}

// lx-timerlist's hrtimers: "cpu: 1", then " #3: <0xffffc90000617e58>, hrtimer_wakeup, S:01" and
// " # expires at SOFT-HARD nsecs [in ... to ... nsecs]", by CPU and timer address.
struct LxHrtimer {
    std::string function;
    std::int64_t softexpires = 0;
    std::int64_t expires = 0;
};
std::map<std::pair<unsigned, std::string>, LxHrtimer> parse_lx_timerlist(const std::string& text) {
    std::map<std::pair<unsigned, std::string>, LxHrtimer> out;
    const std::regex cpu_line(R"(^cpu: (\d+)\s*$)");
    const std::regex timer_line(R"(^\s*#\d+: <(0x[0-9a-f]+).*>, (\S+), S:[0-9a-f]+\s*$)");
    const std::regex expires_line(R"(^\s*# expires at (-?\d+)-(-?\d+) nsecs)");
    std::istringstream lines(text);
    std::smatch match;
    unsigned cpu = 0;
    LxHrtimer* current = nullptr;
    for (std::string line; std::getline(lines, line);) {
        if (std::regex_match(line, match, cpu_line)) {
            cpu = std::stoul(match[1]);
        } else if (std::regex_match(line, match, timer_line)) {
            current = &out[{cpu, match[1]}];
            current->function = match[2];
        } else if (current != nullptr && std::regex_search(line, match, expires_line)) {
            current->softexpires = std::stoll(match[1]);
            current->expires = std::stoll(match[2]);
            current = nullptr;
        }
    }
    return out;
}

// lx-mounts' rows: "MOUNT SUPER_BLOCK DEVNAME PATHNAME FSTYPE OPTIONS 0 0", by struct mount.
struct LxMount {
    std::string device;
    std::string path;
    std::string type;
};
std::map<std::string, LxMount> parse_lx_mounts(const std::string& text) {
    std::map<std::string, LxMount> out;
    const std::regex row(R"(^(0x[0-9a-f]+)\s+0x[0-9a-f]+\s+(\S+)\s+(\S+)\s+(\S+)\s+\S+ 0 0\s*$)");
    std::istringstream lines(text);
    std::smatch match;
    for (std::string line; std::getline(lines, line);) {
        if (std::regex_match(line, match, row)) {
            out[match[1]] = {match[2], match[3], match[4]};
        }
    }
    return out;
}

void expect_lx_slabinfo_agrees(const Json& caches, const std::string& text) {
    const auto theirs = parse_lx_slabinfo(text);
    ASSERT_GT(theirs.size(), 50u) << "lx-slabinfo printed:\n" << text;
    EXPECT_EQ(theirs.size(), caches.size()) << text;
    for (const auto& cache : caches) {
        const std::string address = cache["address"].get<std::string>();
        const std::string name = cache["name"].get<std::string>();
        auto found = theirs.find(address);
        if (found == theirs.end()) {
            ADD_FAILURE() << name << " at " << address << " is not in lx-slabinfo:\n" << text;
            continue;
        }
        EXPECT_EQ(found->second.name, name.substr(0, 19)) << address;
        EXPECT_EQ(found->second.size, cache["size"].get<std::uint64_t>()) << name;
        EXPECT_EQ(found->second.objects_per_slab, cache["objects_per_slab"].get<std::uint64_t>())
            << name;
        EXPECT_EQ(found->second.pages_per_slab, cache["pages_per_slab"].get<std::uint64_t>())
            << name;
    }
}

// The long sleeps' hrtimers (hrtimer_wakeup, 900-1010 s ahead): the same timers on the same
// CPUs with the same expiry. kdive's `expires` is the node's (hard) expiry; the script prints
// the soft one before it, which a sleep's slack puts at most that far earlier.
void expect_lx_timerlist_agrees(const Json& cpus, double now, const std::string& text) {
    const auto theirs = parse_lx_timerlist(text);
    ASSERT_FALSE(theirs.empty()) << "lx-timerlist printed:\n" << text;
    auto long_sleep = [now](const std::string& function, std::int64_t expires) {
        const double in = static_cast<double>(expires) / 1e9 - now;
        return function == "hrtimer_wakeup" && in > 900 && in < 1010;
    };
    std::set<std::pair<unsigned, std::string>> ours;
    for (const auto& cpu : cpus) {
        const unsigned number = cpu["cpu"].get<unsigned>();
        for (const auto& timer : cpu["hrtimers"]) {
            const auto expires = timer["expires"].get<std::int64_t>();
            if (!long_sleep(timer["function"].get<std::string>(), expires)) {
                continue;
            }
            const std::string address = timer["timer"].get<std::string>();
            ours.insert({number, address});
            auto found = theirs.find({number, address});
            if (found == theirs.end()) {
                ADD_FAILURE() << "CPU " << number << " hrtimer " << address
                              << " is not in lx-timerlist:\n"
                              << text;
                continue;
            }
            EXPECT_EQ(found->second.function, "hrtimer_wakeup") << address;
            EXPECT_EQ(found->second.expires, expires) << address;
            EXPECT_LE(found->second.softexpires, expires) << address;
        }
    }
    EXPECT_GE(ours.size(), 7u) << cpus.dump();
    for (const auto& [key, timer] : theirs) {
        if (long_sleep(timer.function, timer.expires)) {
            EXPECT_TRUE(ours.contains(key))
                << "CPU " << key.first << " hrtimer " << key.second << " is lx-timerlist's only";
        }
    }
}

void expect_lx_mounts_agrees(const Json& mounts, const std::string& text) {
    const auto theirs = parse_lx_mounts(text);
    ASSERT_FALSE(theirs.empty()) << "lx-mounts printed:\n" << text;
    EXPECT_EQ(theirs.size(), mounts.size()) << text;
    for (const auto& mount : mounts) {
        const std::string address = mount["mount"].get<std::string>();
        auto found = theirs.find(address);
        if (found == theirs.end()) {
            ADD_FAILURE() << mount << " is not in lx-mounts:\n" << text;
            continue;
        }
        EXPECT_EQ(found->second.path, mount["path"].get<std::string>()) << address;
        EXPECT_EQ(found->second.type, mount["type"].get<std::string>()) << address;
        EXPECT_EQ(found->second.device, mount["device"].get<std::string>()) << address;
    }
}

// The kernel's own lx-slabinfo, lx-timerlist and lx-mounts in one GDB run, against kdive's
// kmem -s, timer and mounts taken right before; the guest runs between
// the two, so what may change in that moment (object and IRQ counts, short timers) is not
// compared. A command this kernel's scripts lack, or one they have but that fails on this
// kernel's structures, is printed and left out; one that answers must agree.
TEST_F(KernelAwareness, LxScriptsAgree) {
    if (find_program(test_gdb()).empty()) {
        KDIVE_MISSING_PREREQUISITE() << "gdb is not installed";
    }
    const auto scripts = kernel_lx_scripts();
    if (scripts.script.empty()) {
        if (scripts.missing) {
            KDIVE_MISSING_PREREQUISITE() << scripts.why;
        }
        GTEST_SKIP() << scripts.why;
    }
    const std::string& script = scripts.script;
    RunOptions options;
    options.timeout = std::chrono::minutes(15);

    // lx-interruptlist is left out: on x86-64 it walks every IRQ and then fails in its MCE part
    // (92 s over the stub on 6.12, "Attempt to take contents of a non-pointer value"); 6.1's
    // scripts do not have it. Its IRQ rows matched irq's by hand.
    const std::vector<std::pair<std::string, std::string>> pairs{{"lx-slabinfo", "kmem -s --json"},
                                                                 {"lx-timerlist", "timer --json"},
                                                                 {"lx-mounts", "mounts --json"}};
    std::map<std::string, Json> ours;
    std::map<std::string, double> our_seconds;
    for (const auto& [lx, command] : pairs) {
        const auto start = std::chrono::steady_clock::now();
        ours[lx] = guest_->json(command);
        our_seconds[lx] =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    }
    const double now = guest_->json("uptime --json")["seconds"].get<double>();

    TempDir work("lx-scripts");
    const auto driver = work / "lx-driver.py";
    std::vector<std::string> commands{"lx-version"};
    for (const auto& pair : pairs) {
        commands.push_back(pair.first);
    }
    ASSERT_TRUE(write_file_atomically(driver, lx_driver(commands)));
    guest_->release();
    auto gdb = run_process(
        gdb_batch(gdb_arguments({guest_->info_path.string(), "-ex", "source " + script, "-ex",
                                 std::string("target remote | ") + KDIVE_BINARY + " relay " +
                                     guest_->vm->session().gdb},
                                {"-ex", "source " + driver.string(), "-ex", "detach"})),
        options);
    auto reattached = guest_->attach();
    ASSERT_TRUE(reattached) << reattached.error().message;
    ASSERT_TRUE(gdb) << gdb.error().message;
    const auto answers = parse_lx_answers(gdb->out);
    // lx-version reads linux_banner: GDB is connected and the scripts run.
    ASSERT_TRUE(answers.contains("lx-version") && answers.at("lx-version").ok)
        << gdb->out << gdb->err;
    EXPECT_TRUE(answers.at("lx-version").text.starts_with("Linux version "))
        << answers.at("lx-version").text;

    for (const auto& [lx, command] : pairs) {
        auto found = answers.find(lx);
        ASSERT_NE(found, answers.end()) << lx << " did not run:\n" << gdb->out << gdb->err;
        const LxAnswer& answer = found->second;
        std::cout << fmt::format("{}: {} {:.3f} s in GDB, {} {:.3f} s in kdive\n", test_kernel(),
                                 lx, answer.seconds, command, our_seconds[lx]);
        if (!answer.ok) {
            std::cout << test_kernel() << ": "
                      << (answer.text.starts_with("Undefined command") ? "no " + lx + " here"
                                                                       : lx + " fails here")
                      << ": " << answer.text;
            continue;
        }
        SCOPED_TRACE(lx);
        if (lx == "lx-slabinfo") {
            expect_lx_slabinfo_agrees(ours[lx], answer.text);
        } else if (lx == "lx-timerlist") {
            expect_lx_timerlist_agrees(ours[lx], now, answer.text);
        } else {
            expect_lx_mounts_agrees(ours[lx], answer.text);
        }
    }
}

// frame and finish name a module's function and module as bt does, through the real binary.
TEST_F(KernelAwareness, FrameAndFinishNameModuleFrames) {
    guest_->release();
    RunOptions options;
    options.timeout = std::chrono::minutes(2);
    auto run = run_process({KDIVE_BINARY, "attach", guest_->vm->session().dir.string(), "--batch",
                            "--stop-timeout", "30", "-ex", "break dummy_get_stats64", "-ex",
                            "continue", "-ex", "delete", "-ex", "frame", "-ex", "finish"},
                           options);
    auto reattached = guest_->attach();
    ASSERT_TRUE(reattached) << reattached.error().message;
    ASSERT_TRUE(run) << run.error().message;
    EXPECT_EQ(run->exit_code, 0) << run->out << run->err;
    EXPECT_NE(run->out.find("#0  dummy_get_stats64 ("), std::string::npos) << run->out;
    EXPECT_NE(run->out.find("Run till exit from #0  dummy_get_stats64 ("), std::string::npos)
        << run->out;
    EXPECT_NE(run->out.find("drivers/net/dummy.c:"), std::string::npos) << run->out;
    EXPECT_NE(run->out.find(" [dummy]\n"), std::string::npos) << run->out;
    EXPECT_EQ(run->out.find(" in ?? ("), std::string::npos) << run->out;
}

} // namespace
} // namespace kdive::testing
