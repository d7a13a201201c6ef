// kdive's kernel commands against the running test kernel, checked against the guest's own /proc
// (printed on the console by the init script): ps, current, dmesg, lsmod, mounts, cmdline,
// version, uptime, per-cpu, vtop, list, sys, module debug info, corrupt kernel data and the wrong
// vmlinux; then a KASLR boot and a five-level boot.
#include "attached_guest.hpp"

namespace kdive::testing {
namespace {

TEST_F(KernelAwareness, VersionMatchesProcVersion) {
    auto version = guest_->json("version --json");
    EXPECT_EQ(version["running"], guest_->facts.version);
    EXPECT_TRUE(version["matches"].get<bool>());
    EXPECT_EQ(version["kaslr_offset"], "0x0"); // booted with nokaslr
    EXPECT_NE(guest_->facts.version.find(version["release"].get<std::string>()), std::string::npos);
}

TEST_F(KernelAwareness, PsMatchesProcStat) {
    auto tasks = guest_->json("ps --json");
    ASSERT_TRUE(tasks.is_array());
    std::map<int, Json> by_pid;
    for (const auto& task : tasks) {
        by_pid[task["pid"].get<int>()] = task;
        EXPECT_TRUE(task["task"].get<std::string>().starts_with("0xff"));
    }
    ASSERT_TRUE(by_pid.contains(0));
    EXPECT_EQ(by_pid[0]["comm"], "swapper/0");
    ASSERT_TRUE(by_pid.contains(1));
    EXPECT_EQ(by_pid[1]["comm"], "init");
    EXPECT_EQ(by_pid[1]["ppid"], 0);
    // Processes the guest listed and that live on (kernel threads, the marker sleeps).
    int found = 0;
    int compared = 0;
    int full_names = 0;
    for (const auto& [pid, process] : guest_->facts.processes) {
        if (!by_pid.contains(pid)) {
            continue; // the script's own short-lived shells and readers
        }
        ++found;
        const auto& task = by_pid[pid];
        // name is what /proc shows: a kernel thread's full name (6.x), a worker's work queue
        // after + or - ("kworker/1:1-rcu_gp"). comm is task->comm, at most 15 bytes of it.
        const std::string name = task["name"].get<std::string>();
        const std::string comm = task["comm"].get<std::string>();
        EXPECT_TRUE(process.comm.starts_with(comm)) << "pid " << pid << ": " << comm;
        EXPECT_LE(comm.size(), 15u) << comm;
        const auto worker_queue = [](const std::string& text) {
            return text.starts_with("kworker/") ? text.find_first_of("+-", 8) : std::string::npos;
        };
        if (const auto queue = worker_queue(process.comm); queue != std::string::npos) {
            // A worker may have run another queue's work since the guest looked.
            EXPECT_EQ(name.substr(0, name.find_first_of("+-", 8)), process.comm.substr(0, queue))
                << "pid " << pid;
            EXPECT_NE(worker_queue(name), std::string::npos) << "pid " << pid << ": " << name;
        } else if (!process.comm.starts_with("kworker/")) {
            EXPECT_EQ(name, process.comm) << "pid " << pid;
            ++full_names;
        }
        EXPECT_EQ(task["tgid"], pid) << "pid " << pid;
        // Children of the script's shells were reparented to init when those exited.
        const bool parent_alive =
            by_pid.contains(process.ppid) && guest_->facts.processes.contains(process.ppid);
        if (parent_alive && process.ppid > 1) {
            EXPECT_EQ(task["ppid"], process.ppid) << "pid " << pid << " " << process.comm;
            ++compared;
        }
    }
    EXPECT_GE(found, static_cast<int>(guest_->facts.processes.size()) * 8 / 10);
    EXPECT_GT(full_names, 10);
    EXPECT_GT(compared, 5);
    ASSERT_EQ(guest_->facts.marked.size(), 4u) << "the marker sleeps were not seen";
    for (int pid : guest_->facts.marked) {
        ASSERT_TRUE(by_pid.contains(pid)) << "marker sleep " << pid;
        EXPECT_EQ(by_pid[pid]["comm"], "sleep");
        EXPECT_EQ(by_pid[pid]["state"], "S");
        EXPECT_EQ(by_pid[pid]["ppid"], guest_->facts.processes[pid].ppid);
        const int cpu = by_pid[pid]["cpu"].get<int>();
        EXPECT_TRUE(cpu == 0 || cpu == 1);
    }
}

TEST_F(KernelAwareness, CurrentOnEveryCpu) {
    auto current = guest_->json("current --json");
    ASSERT_EQ(current.size(), 2u);
    auto tasks = guest_->json("ps --json");
    for (int cpu = 0; cpu < 2; ++cpu) {
        const auto& entry = current[static_cast<std::size_t>(cpu)];
        EXPECT_EQ(entry["cpu"], cpu);
        const int pid = entry["pid"].get<int>();
        if (pid == 0) {
            // An idle guest: each CPU runs its own idle task.
            EXPECT_EQ(entry["comm"], "swapper/" + std::to_string(cpu));
        } else {
            bool listed = std::any_of(tasks.begin(), tasks.end(),
                                      [&](const Json& t) { return t["task"] == entry["task"]; });
            EXPECT_TRUE(listed) << entry.dump();
        }
    }
    auto one = guest_->json("current --cpu 1 --json");
    ASSERT_EQ(one.size(), 1u);
    EXPECT_EQ(one[0], current[1]);
    // The expression functions agree with the command.
    const std::string pid = guest_->run("p $lx_current(0).pid");
    EXPECT_NE(pid.find(" = " + std::to_string(current[0]["pid"].get<int>())), std::string::npos)
        << pid;
    const std::string comm = guest_->run("p $current(1)->comm");
    EXPECT_NE(comm.find(current[1]["comm"].get<std::string>()), std::string::npos) << comm;
}

TEST_F(KernelAwareness, DmesgHoldsTheConsoleLines) {
    auto records = guest_->json("dmesg --json");
    ASSERT_TRUE(records.is_array());
    ASSERT_GT(records.size(), 100u);
    std::set<std::string> lines;
    for (const auto& record : records) {
        const auto ns = static_cast<std::uint64_t>(record["time"].get<double>() * 1e9 + 0.5);
        // The JSON text is escaped reversibly (README): ACPI's "\\_SB_" arrives doubled.
        const auto text = json_text_bytes(record["text"].get<std::string>());
        ASSERT_TRUE(text) << record.dump();
        std::istringstream split(*text);
        std::string line;
        while (std::getline(split, line)) {
            lines.insert(fmt::format("[{:5}.{:06}] {}", ns / 1'000'000'000,
                                     ns % 1'000'000'000 / 1000, line));
        }
    }
    const std::string text = guest_->run("dmesg");
    EXPECT_NE(text.find("Linux version"), std::string::npos);
    std::size_t missing = 0;
    for (const auto& line : guest_->facts.kernel_lines) {
        if (!lines.contains(line) && text.find(line) == std::string::npos) {
            ++missing;
            ADD_FAILURE_AT(__FILE__, __LINE__) << "console line not in dmesg: " << line;
            if (missing > 5) {
                break;
            }
        }
    }
    EXPECT_GT(guest_->facts.kernel_lines.size(), 50u);
}

TEST_F(KernelAwareness, LsmodMatchesProcModules) {
    auto modules = guest_->json("lsmod --json");
    ASSERT_EQ(modules.size(), guest_->facts.modules.size());
    ASSERT_FALSE(guest_->facts.modules.empty()) << "no module was loaded in the guest";
    for (const auto& expected : guest_->facts.modules) {
        auto found = std::find_if(modules.begin(), modules.end(),
                                  [&](const Json& m) { return m["name"] == expected.name; });
        ASSERT_NE(found, modules.end()) << expected.name;
        EXPECT_EQ((*found)["size"].get<unsigned long>(), expected.size) << expected.name;
        EXPECT_EQ((*found)["refcount"].get<int>(), expected.refcount) << expected.name;
        EXPECT_EQ((*found)["base"], fmt::format("{:#x}", expected.address)) << expected.name;
    }
}

// crash's list walk over two kernel lists whose contents other commands know: the modules (as
// lsmod lists them, in order) and the task list (every thread-group leader but the idle task).
TEST_F(KernelAwareness, ListWalksTheModuleAndTaskLists) {
    auto modules = guest_->json("lsmod --json");
    auto listed = guest_->json("list -H modules -o module.list --json");
    ASSERT_EQ(listed.size(), modules.size());
    for (std::size_t i = 0; i < modules.size(); ++i) {
        EXPECT_EQ(listed[i], modules[i]["module"]) << i;
    }
    auto named = guest_->json("list -H modules -o module.list -s module.name,refcnt --json");
    ASSERT_EQ(named.size(), modules.size());
    for (std::size_t i = 0; i < modules.size(); ++i) {
        const std::string name = named[i]["name"].get<std::string>();
        EXPECT_TRUE(name.starts_with("\"" + modules[i]["name"].get<std::string>() + "\"")) << name;
    }
    auto tasks = guest_->json("ps --json");
    std::set<std::string> leaders;
    for (const auto& task : tasks) {
        if (task["pid"] == task["tgid"] && task["pid"] != 0) {
            leaders.insert(task["task"].get<std::string>());
        }
    }
    auto walked = guest_->json("list -H init_task.tasks -o task_struct.tasks --json");
    EXPECT_EQ(std::set<std::string>(walked.begin(), walked.end()), leaders);
    // From the first entry (init_task itself), bounded by -c.
    auto first = guest_->json("list -o task_struct.tasks -c 3 init_task --json");
    ASSERT_EQ(first.size(), 3u);
    EXPECT_EQ(first[0], tasks[0]["task"]);
    // A start that is not mapped names the address; GDB's list stays the source listing.
    auto bad = guest_->attempt("list -H 0x10 -o 0");
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().message.find("0x10"), std::string::npos) << bad.error().message;
    EXPECT_FALSE(guest_->commands->run("list start_kernel"));
}

// crash's sys: the kernel's own utsname is /proc/version's, the task count is ps's.
TEST_F(KernelAwareness, SysAgreesWithProcVersionAndPs) {
    auto sys = guest_->json("sys --json");
    ASSERT_TRUE(sys.is_object());
    const std::string& version = guest_->facts.version;
    EXPECT_TRUE(version.starts_with("Linux version " + sys["release"].get<std::string>() + " "))
        << version;
    EXPECT_TRUE(version.ends_with(sys["version"].get<std::string>())) << version;
    EXPECT_EQ(sys["machine"], test_kernel().ends_with("-arm64") ? "aarch64" : "x86_64");
    EXPECT_EQ(sys["cpus"], 2);
    EXPECT_EQ(sys["tasks"].get<std::size_t>(), guest_->json("ps --json").size());
    EXPECT_GT(sys["memory"].get<std::uint64_t>(), 64ull << 20);
    for (const auto& load : sys["load_average"]) {
        EXPECT_GE(load.get<double>(), 0.0);
        EXPECT_LT(load.get<double>(), 1000.0);
    }
    // The same jiffies as `uptime` (which its own test holds against /proc/uptime).
    EXPECT_NEAR(sys["uptime"].get<double>(), guest_->json("uptime --json")["seconds"].get<double>(),
                0.5);
    EXPECT_TRUE(sys["panic_cpu"].is_null());
    EXPECT_NE(guest_->run("sys").find("LOAD AVERAGE: "), std::string::npos);
}

TEST_F(KernelAwareness, MountsCmdlineUptimeCpus) {
    auto mounts = guest_->json("mounts --json");
    ASSERT_EQ(mounts.size(), guest_->facts.mounts.size());
    for (std::size_t i = 0; i < mounts.size(); ++i) {
        EXPECT_EQ(mounts[i]["device"], guest_->facts.mounts[i].device) << i;
        EXPECT_EQ(mounts[i]["path"], guest_->facts.mounts[i].path) << i;
        EXPECT_EQ(mounts[i]["type"], guest_->facts.mounts[i].type) << i;
    }
    EXPECT_EQ(guest_->run("cmdline"), guest_->facts.cmdline);
    auto uptime = guest_->json("uptime --json");
    // jiffies trail the boot clock a little (the tick starts late; TCG may drop ticks).
    EXPECT_GE(uptime["seconds"].get<double>(), guest_->facts.uptime * 0.8 - 0.5);
    EXPECT_LT(uptime["seconds"].get<double>(), guest_->facts.uptime + 900);
    auto cpus = guest_->json("cpus --json");
    EXPECT_EQ(cpus["nr_cpu_ids"], 2);
    EXPECT_EQ(cpus["online"], 2);
    // rq->cpu names the run queue's own CPU: per-CPU addressing is right on every CPU.
    auto rq = guest_->json("per-cpu runqueues.cpu --json");
    ASSERT_EQ(rq.size(), 2u);
    EXPECT_EQ(rq[0]["value"], "0");
    EXPECT_EQ(rq[1]["value"], "1");
    auto kconfig = guest_->commands->run("kconfig");
    ASSERT_TRUE(kconfig);
    if (!*kconfig) {
        EXPECT_NE(kconfig->error().message.find("CONFIG_IKCONFIG"), std::string::npos);
    }
}

TEST_F(KernelAwareness, VtopAgreesWithThePhysicalRead) {
    auto walk = guest_->json("vtop linux_banner --json");
    ASSERT_FALSE(walk["physical"].is_null()) << walk.dump();
    const auto physical = std::stoull(walk["physical"].get<std::string>(), nullptr, 16);
    auto bytes = guest_->commands->memory().read_physical(physical, 13);
    ASSERT_TRUE(bytes) << bytes.error().message;
    std::string text;
    for (std::byte b : *bytes) {
        text.push_back(static_cast<char>(b));
    }
    EXPECT_EQ(text, "Linux version");
    const std::string shown = guest_->run("vtop linux_banner");
    // x86-64 names its levels; arm64 numbers them (L0 or L-1 to L3 for these kernels).
    EXPECT_NE(shown.find(test_kernel().ends_with("-arm64") ? "  L1 " : "PML4"), std::string::npos)
        << shown;
}

TEST_F(KernelAwareness, UnknownLinesAreLeftToOthers) {
    EXPECT_FALSE(guest_->commands->run("print 1"));
    EXPECT_FALSE(guest_->commands->run("info registers"));
    auto bad = guest_->commands->run("per-cpu no_such_variable_here");
    ASSERT_TRUE(bad);
    EXPECT_FALSE(*bad);
}

// The dummy module's debug file, placed where the guest loaded its sections: variables, types,
// lines and a breakpoint inside the module.
TEST_F(KernelAwareness, ModuleDebugInfoAtItsLoadAddress) {
    auto modules = guest_->json("lsmod --json");
    auto dummy = std::find_if(modules.begin(), modules.end(),
                              [](const Json& m) { return m["name"] == "dummy"; });
    ASSERT_NE(dummy, modules.end()) << "the rootfs did not load dummy.ko";
    const std::uint64_t base = std::stoull((*dummy)["base"].get<std::string>(), nullptr, 16);
    const std::uint64_t size = (*dummy)["size"].get<std::uint64_t>();

    EXPECT_NE(guest_->run("p numdummies").find(" = 1"), std::string::npos); // its default
    EXPECT_NE(guest_->run("info symbol &numdummies").find("numdummies in section .data of dummy"),
              std::string::npos);
    EXPECT_NE(guest_->run("p dummy_link_ops.kind").find("\"dummy\""), std::string::npos);
    const std::string line = guest_->run("info line dummy_xmit");
    EXPECT_NE(line.find("of \"drivers/net/dummy.c\""), std::string::npos) << line;

    auto address = guest_->run("p/x (unsigned long)&dummy_get_stats64");
    const std::uint64_t function = std::stoull(address.substr(address.find("0x")), nullptr, 16);
    EXPECT_GE(function, base);
    EXPECT_LT(function, base + size);
    // The guest reads dummy0's counters every second (facts script): the module runs.
    auto& target = *guest_->target;
    const target::Breakpoint breakpoint{target::BreakpointKind::software, function, 1};
    ASSERT_TRUE(target.insert_breakpoint(breakpoint));
    ASSERT_TRUE(target.resume());
    auto stop = target.wait_for_stop(std::chrono::seconds(30));
    if (!stop || !*stop) {
        (void)target.interrupt();
        (void)target.wait_for_stop(std::chrono::seconds(5));
    }
    ASSERT_TRUE(target.remove_breakpoint(breakpoint));
    ASSERT_TRUE(stop && *stop) << "dummy_get_stats64 was not called within 30 s";
    EXPECT_EQ(*target.read_register(arch::architecture_of(target).pc), function);
    EXPECT_NE(guest_->run("info symbol $pc").find("dummy_get_stats64 in section .text of dummy"),
              std::string::npos);
    // The trace names the module's source line, from its debug file.
    auto trace = guest_->json("bt --json");
    ASSERT_FALSE(trace["frames"].empty()) << trace.dump();
    EXPECT_EQ(trace["frames"][0]["function"], "dummy_get_stats64");
    EXPECT_EQ(trace["frames"][0]["module"], "dummy");
    EXPECT_EQ(trace["frames"][0]["file"], "drivers/net/dummy.c");
    // Stopped at the entry with its arguments in place: the device is dummy0.
    // The first argument: rdi on x86-64, x0 on arm64.
    const bool arm64 = arch::architecture_of(target).machine == arch::Machine::aarch64;
    const std::string device =
        guest_->run(fmt::format("p ((struct net_device *)${})->name", arm64 ? "x0" : "rdi"));
    EXPECT_NE(device.find("\"dummy0"), std::string::npos) << device;
}

// kdive corrupts the stopped guest's own lists (a task list cycle, a pointer into unmapped
// memory, a module list cycle, a printk descriptor) and restores them within one stop: each
// command ends with an error naming the address, or a whole answer from the valid records, and
// after the restore every answer is whole again. The guest never runs while corrupted.
TEST_F(KernelAwareness, CorruptKernelDataGivesErrorsNotHangs) {
    const Json tasks_before = guest_->json("ps --json");
    const Json modules_before = guest_->json("lsmod --json");
    const Json log_before = guest_->json("dmesg --json");
    ASSERT_GT(tasks_before.size(), 10u);
    ASSERT_GE(modules_before.size(), 1u) << "the rootfs loaded no module";

    // A task list that loops back to the second task without reaching init_task.
    const std::string second = "((struct list_head *)init_task.tasks.next)";
    const std::string saved = guest_->run("p/x " + second + "->next");
    const std::string original = saved.substr(saved.find("0x"));
    guest_->run("set var " + second + "->next = init_task.tasks.next");
    auto cycle = guest_->attempt("ps --json");
    ASSERT_FALSE(cycle);
    EXPECT_EQ(cycle.error().kind, ErrorKind::corrupt) << cycle.error().message;
    EXPECT_NE(cycle.error().message.find("loops back to"), std::string::npos)
        << cycle.error().message;
    // One that leads into unmapped memory.
    guest_->run("set var " + second + "->next = 0xdead000000001000");
    auto unmapped = guest_->attempt("ps --json");
    ASSERT_FALSE(unmapped);
    EXPECT_NE(unmapped.error().message.find("0xdead000000000"), std::string::npos)
        << unmapped.error().message;
    guest_->run("set var " + second + "->next = " + original);
    EXPECT_EQ(guest_->json("ps --json").size(), tasks_before.size());

    // The first module's next pointer aimed back at itself.
    const std::string first_module = guest_->run("p/x modules.next->next");
    const std::string module_next = first_module.substr(first_module.find("0x"));
    guest_->run("set var modules.next->next = modules.next");
    auto module_cycle = guest_->attempt("lsmod --json");
    ASSERT_FALSE(module_cycle);
    EXPECT_NE(module_cycle.error().message.find("loops back to"), std::string::npos)
        << module_cycle.error().message;
    guest_->run("set var modules.next->next = " + module_next);
    EXPECT_EQ(guest_->json("lsmod --json"), modules_before);

    // The newest printk descriptor: a state no writer leaves and a text block far outside the
    // data ring. dmesg answers (an error or the records that are still valid), never hangs.
    const std::string desc = "prb->desc_ring.descs[prb->desc_ring.head_id.counter & ((1 << "
                             "prb->desc_ring.count_bits) - 1)]";
    const std::string state = guest_->run("p/x " + desc + ".state_var.counter");
    const std::string begin = guest_->run("p/x " + desc + ".text_blk_lpos.begin");
    guest_->run("set var " + desc + ".state_var.counter = 0xffffffffffffffff");
    guest_->run("set var " + desc + ".text_blk_lpos.begin = 0x7ffffff0000");
    auto log = guest_->attempt("dmesg --json");
    if (log) {
        auto parsed = Json::parse(*log, nullptr, false);
        ASSERT_FALSE(parsed.is_discarded()) << *log;
        EXPECT_LE(parsed.size(), log_before.size());
    }
    guest_->run("set var " + desc + ".state_var.counter = " + state.substr(state.find("0x")));
    guest_->run("set var " + desc + ".text_blk_lpos.begin = " + begin.substr(begin.find("0x")));
    EXPECT_EQ(guest_->json("dmesg --json").size(), log_before.size());
}

// Another kernel's vmlinux against this guest: said up front and every kernel command refuses.
TEST_F(KernelAwareness, WrongVmlinuxIsReported) {
    const std::string other_name =
        test_kernel() == "debian-5.10-cloud" ? "debian-6.1-cloud" : "debian-5.10-cloud";
    auto other = lab::resolve_boot_kernel(other_name);
    if (!other) {
        KDIVE_MISSING_PREREQUISITE() << other_name << " is not fetched: " << other.error().message;
    }
    guest_->release();
    RunOptions options;
    options.timeout = std::chrono::minutes(2);
    auto run = run_process({KDIVE_BINARY, "attach", guest_->vm->session().gdb, "--vmlinux",
                            other->vmlinux.string(), "--batch", "-ex", "ps"},
                           options);
    auto reattached = guest_->attach();
    ASSERT_TRUE(reattached) << reattached.error().message;
    ASSERT_TRUE(run) << run.error().message;
    EXPECT_NE(run->exit_code, 0);
    // A warning up front; an error when no vCPU is in kernel mode to read the banner through
    // (the guest's busy loops run in user mode). Either names the mismatch.
    EXPECT_TRUE(run->err.starts_with("warning: ") || run->err.starts_with("error: ")) << run->err;
    EXPECT_NE(run->err.find("does not match the running kernel"), std::string::npos) << run->err;
    EXPECT_NE(run->err.find("error: "), std::string::npos) << run->err; // ps refused
}

// ps lists init as pid 1 and every process the guest marked.
void expect_init_and_marked_tasks(const AttachedGuest& guest, const Json& tasks) {
    ASSERT_GT(tasks.size(), 10u);
    EXPECT_EQ(tasks[1]["comm"], "init");
    for (int pid : guest.facts.marked) {
        EXPECT_TRUE(std::any_of(tasks.begin(), tasks.end(), [&](const Json& t) {
            return t["pid"] == pid;
        })) << pid;
    }
}

// KASLR on: the load offset is found and applied to every symbol.
TEST(KernelAwarenessKaslr, SymbolsResolveUnderKaslr) {
    auto guest = AttachedGuest::boot({"--kaslr"});
    ASSERT_TRUE(guest->error.empty()) << guest->error;
    EXPECT_EQ(guest->facts.cmdline.find("nokaslr"), std::string::npos);
    auto version = guest->json("version --json");
    EXPECT_EQ(version["running"], guest->facts.version);
    EXPECT_TRUE(version["matches"].get<bool>());
    // KASLR may pick the link address itself, but almost never does.
    EXPECT_NE(version["kaslr_offset"], "0x0");
    auto current = guest->json("current --json");
    ASSERT_EQ(current.size(), 2u);
    auto tasks = guest->json("ps --json");
    expect_init_and_marked_tasks(*guest, tasks);
    auto modules = guest->json("lsmod --json");
    EXPECT_EQ(modules.size(), guest->facts.modules.size());
    EXPECT_EQ(guest->run("cmdline"), guest->facts.cmdline);
    const std::string pid = guest->run("p $lx_current(0).pid");
    EXPECT_NE(pid.find(" = " + std::to_string(current[0]["pid"].get<int>())), std::string::npos)
        << pid;
}

// A CPU with LA57 (and KASLR): a kernel built with 5-level paging runs on five levels (since
// 6.x Debian's are; 5.10's is not, and stays on four). The load offset, the tasks and vtop
// follow the page tables the kernel really uses: a direct-map address (a task_struct)
// translates to itself minus page_offset_base.
TEST(KernelAwarenessFiveLevel, TasksAndVtopOnFiveLevelPaging) {
    auto kernel = lab::resolve_boot_kernel(test_kernel());
    ASSERT_TRUE(kernel) << kernel.error().message;
    auto config = lab::KconfigFile::read((kernel->vmlinux.parent_path() / "config").string());
    ASSERT_TRUE(config) << config.error().message;
    // Kernels after 6.15 lost the option: five levels whenever the CPU has them.
    const int levels = config->value("X86_5LEVEL").value_or("y") == "y" ? 5 : 4;

    auto guest = AttachedGuest::boot({"--kaslr", "--cpu", "qemu64,+la57"});
    ASSERT_TRUE(guest->error.empty()) << guest->error;
    auto version = guest->json("version --json");
    EXPECT_TRUE(version["matches"].get<bool>());
    auto tasks = guest->json("ps --json");
    expect_init_and_marked_tasks(*guest, tasks);
    const std::string base_text = guest->run("p/x page_offset_base");
    ASSERT_NE(base_text.find("0x"), std::string::npos) << base_text;
    const std::uint64_t page_offset_base =
        std::stoull(base_text.substr(base_text.find("0x")), nullptr, 16);
    // Only five levels reach below the 48-bit upper half (0xff11... before KASLR moves it).
    EXPECT_EQ(page_offset_base < 0xffff800000000000u, levels == 5) << base_text;
    const std::string task = tasks[1]["task"].get<std::string>();
    auto walk = guest->json("vtop " + task + " --json");
    EXPECT_EQ(walk["levels"], levels) << walk.dump();
    const std::uint64_t page_size = walk["page_size"].get<std::uint64_t>();
    const int skipped = page_size == (1u << 30) ? 2 : page_size == (1u << 21) ? 1 : 0;
    ASSERT_EQ(walk["steps"].size(), static_cast<std::size_t>(levels - skipped)) << walk.dump();
    EXPECT_EQ(walk["steps"][0]["level"], levels == 5 ? "PML5" : "PML4") << walk.dump();
    ASSERT_TRUE(walk["physical"].is_string()) << walk.dump();
    EXPECT_EQ(std::stoull(walk["physical"].get<std::string>(), nullptr, 16),
              std::stoull(task, nullptr, 16) - page_offset_base)
        << walk.dump();
}

} // namespace
} // namespace kdive::testing
