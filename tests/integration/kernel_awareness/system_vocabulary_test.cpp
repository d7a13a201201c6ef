// crash's system vocabulary against the guest's own view: irq (/proc/interrupts), ps options,
// sig, runq, log, struct and task, waitq, tree, timer, dev (/proc/devices, sysfs PCI) and net
// (/proc/net/dev, tcp, unix).
#include "attached_guest.hpp"

namespace kdive::testing {
namespace {

// irq lists the IRQs /proc/interrupts numbered, with their chip, flow handler and actions; counts
// only grow between the guest's print and the stop.
TEST_F(KernelAwareness, IrqMatchesProcInterrupts) {
    const auto& proc = guest_->facts.irqs;
    ASSERT_GE(proc.size(), 3u) << "no /proc/interrupts";
    auto irqs = guest_->json("irq --json");
    ASSERT_TRUE(irqs.is_array());
    std::map<unsigned, Json> by_irq;
    for (const auto& irq : irqs) {
        by_irq[irq["irq"].get<unsigned>()] = irq;
    }
    for (const auto& line : proc) {
        ASSERT_TRUE(by_irq.contains(line.irq)) << "IRQ " << line.irq << " is missing";
        const Json& mine = by_irq[line.irq];
        EXPECT_EQ(mine["chip"], line.chip) << line.irq;
        EXPECT_EQ(mine["flow"], line.flow) << line.irq;
        if (!line.trigger.empty()) { // arm64 prints it, x86-64 does not
            EXPECT_EQ(mine["trigger"], line.trigger == "Level" ? "level" : "edge") << line.irq;
        }
        EXPECT_EQ(mine["name"], line.actions) << line.irq;
        ASSERT_EQ(mine["counts"].size(), 2u);
        for (std::size_t cpu = 0; cpu < 2; ++cpu) {
            EXPECT_GE(mine["counts"][cpu].get<std::uint64_t>(), line.counts[cpu])
                << line.irq << " CPU " << cpu;
        }
        EXPECT_EQ(mine["handlers"].size(), mine["actions"].size());
    }
    EXPECT_EQ(irqs.size(), proc.size());
    EXPECT_EQ(guest_->json("lx-interruptlist --json").size(), irqs.size());
    EXPECT_NE(guest_->run("irq").find("CPU1"), std::string::npos);
}

// crash's ps options: -G keeps the leaders, -p leads from swapper to the task, -c of the
// marker sleeps' parent lists exactly them, -t starts as /proc/PID/stat's starttime, -a reads
// the arguments /proc/PID/cmdline holds.
TEST_F(KernelAwareness, PsOptionsMatchProc) {
    const auto& facts = guest_->facts;
    ASSERT_EQ(facts.marked.size(), 4u);
    auto all = guest_->json("ps --json");
    auto leaders = guest_->json("ps -G --json");
    std::size_t expected = 0;
    for (const auto& task : all) {
        expected += task["pid"] == task["tgid"] ? 1 : 0;
    }
    EXPECT_EQ(leaders.size(), expected);

    const int marked = facts.marked.front();
    const int parent = facts.processes.at(marked).ppid;
    auto chain = guest_->json(fmt::format("ps -p {} --json", marked));
    ASSERT_GE(chain.size(), 3u) << chain;
    EXPECT_EQ(chain.front()["pid"], 0);
    EXPECT_EQ(chain.back()["pid"], marked);
    EXPECT_EQ(chain[chain.size() - 2]["pid"], parent);
    for (std::size_t i = 1; i < chain.size(); ++i) {
        EXPECT_EQ(chain[i]["ppid"], chain[i - 1]["tgid"]) << chain;
    }

    std::set<int> children;
    for (const auto& child : guest_->json(fmt::format("ps -c {} --json", parent))) {
        children.insert(child["pid"].get<int>());
    }
    EXPECT_EQ(children, std::set<int>(facts.marked.begin(), facts.marked.end()));

    std::string pids;
    for (int pid : facts.marked) {
        pids += fmt::format(" {}", pid);
    }
    auto times = guest_->json("ps -t" + pids + " --json");
    EXPECT_EQ(times.size(), facts.marked.size());
    for (const auto& row : times) {
        const auto& proc = facts.processes.at(row["pid"].get<int>());
        // nsec_to_clock_t: whole ticks of 10 ms.
        const auto ticks =
            static_cast<unsigned long long>(row["start_time"].get<double>() * 100 + 1e-6);
        EXPECT_NEAR(static_cast<double>(ticks), static_cast<double>(proc.start_ticks), 1) << row;
        EXPECT_GE(row["user_time"].get<double>(), 0.0);
    }

    for (const auto& [pid, fds] : facts.files) {
        auto rows = guest_->json(fmt::format("ps -a {} --json", pid));
        ASSERT_EQ(rows.size(), 1u);
        const auto arguments = rows[0]["arguments"].get<std::vector<std::string>>();
        ASSERT_FALSE(arguments.empty());
        EXPECT_TRUE(arguments == std::vector<std::string>({"sleep", "1002"}) ||
                    arguments == std::vector<std::string>({"nc", "-l", "-p", "4242"}))
            << rows;
    }
    auto kernel_thread = guest_->attempt("ps -a 2");
    ASSERT_FALSE(kernel_thread);
    EXPECT_NE(kernel_thread.error().message.find("kernel thread"), std::string::npos);
    EXPECT_NE(guest_->run(fmt::format("ps -p {}", marked)).find("COMMAND:"), std::string::npos);
}

// sig PID shows the masks /proc/PID/status printed; the stopped shell holds SIGUSR1 pending.
TEST_F(KernelAwareness, SigMatchesProcStatus) {
    const auto& signals = guest_->facts.signals;
    ASSERT_EQ(signals.size(), 2u) << "the guest did not print its signal masks";
    bool usr1_pending = false;
    for (const auto& [pid, masks] : signals) {
        auto state = guest_->json(fmt::format("sig {} --json", pid));
        ASSERT_TRUE(state.is_object());
        for (auto [key, label] : {std::pair{"pending", "SigPnd"},
                                  {"shared_pending", "ShdPnd"},
                                  {"blocked", "SigBlk"},
                                  {"ignored", "SigIgn"},
                                  {"caught", "SigCgt"}}) {
            EXPECT_EQ(state[key], masks.at(label)) << pid << " " << key;
        }
        const auto shared = state["shared_pending_signals"].get<std::vector<std::string>>();
        usr1_pending |= std::find(shared.begin(), shared.end(), "SIGUSR1") != shared.end();
        EXPECT_EQ(
            state["handlers"].size(),
            static_cast<std::size_t>(std::popcount(std::stoull(masks.at("SigIgn"), nullptr, 16)) +
                                     std::popcount(std::stoull(masks.at("SigCgt"), nullptr, 16))))
            << pid;
    }
    EXPECT_TRUE(usr1_pending);
    EXPECT_NE(guest_->run(fmt::format("sig {}", signals.begin()->first)).find("CAUGHT"),
              std::string::npos);
}

// runq holds every busy loop exactly once, running or queued, and queues only runnable tasks.
TEST_F(KernelAwareness, RunqHoldsTheRunnableTasks) {
    ASSERT_EQ(guest_->facts.spinners.size(), 3u);
    auto queues = guest_->json("runq --json");
    ASSERT_EQ(queues.size(), 2u) << queues;
    std::map<int, std::string> states;
    for (const auto& task : guest_->json("ps --json")) {
        states[task["pid"].get<int>()] = task["state"].get<std::string>();
    }
    std::map<int, int> seen;
    for (const auto& queue : queues) {
        ++seen[queue["current"]["pid"].get<int>()];
        for (const auto& task : queue["queued"]) {
            const int pid = task["pid"].get<int>();
            ++seen[pid];
            EXPECT_EQ(states[pid], "R") << task;
            if (task["policy"] == "CFS") {
                EXPECT_TRUE(task["vruntime"].is_number()) << task;
            }
        }
    }
    for (int pid : guest_->facts.spinners) {
        EXPECT_EQ(seen[pid], 1) << "busy loop " << pid << " (state '" << states[pid] << "') in "
                                << queues.dump();
    }
    EXPECT_NE(guest_->run("runq").find("CURRENT: PID:"), std::string::npos);
}

// crash's log: the records dmesg has, with levels (-m) and dates (-T) from the guest's wall
// clock: the guest's last records are dated near what its `date` said then.
TEST_F(KernelAwareness, LogDatesAndLevels) {
    const auto& facts = guest_->facts;
    ASSERT_GT(facts.date, 1'000'000'000);
    auto plain = guest_->json("dmesg --json");
    auto dated = guest_->json("log -T --json");
    ASSERT_EQ(dated.size(), plain.size());
    const double boot = facts.date - facts.uptime;
    for (std::size_t i = 0; i < dated.size(); ++i) {
        EXPECT_EQ(dated[i]["text"], plain[i]["text"]);
        EXPECT_NEAR(dated[i]["wall_time"].get<double>() - dated[i]["time"].get<double>(), boot, 120)
            << dated[i];
    }
    const std::string levels = guest_->run("log -m");
    EXPECT_NE(levels.find("] <5>Linux version"), std::string::npos) << levels.substr(0, 300);
    const std::string dates = guest_->run("log -T");
    EXPECT_NE(dates.find(" UTC "), std::string::npos) << dates.substr(0, 300);
    EXPECT_FALSE(guest_->attempt("log -x"));
}

// struct and task: the layout as the evaluator sees it, and pid 1's values as ps reads them.
TEST_F(KernelAwareness, StructAndTaskShowLayoutsAndValues) {
    auto layout = guest_->json("struct task_struct --json");
    ASSERT_TRUE(layout.is_object());
    // The printed value, whatever history number the session has reached.
    const auto printed = [&](const std::string& expression) {
        const std::string out = guest_->run("p " + expression);
        const auto equals = out.find(" = ");
        return equals == std::string::npos ? out : out.substr(equals + 3);
    };
    EXPECT_EQ(printed("sizeof(struct task_struct)"),
              std::to_string(layout["size"].get<std::uint64_t>()));
    std::uint64_t last = 0;
    bool found_pid = false;
    for (const auto& member : layout["members"]) {
        EXPECT_GE(member["offset"].get<std::uint64_t>(), last) << member;
        last = member["offset"].get<std::uint64_t>();
        if (member["name"] == "pid") {
            found_pid = true;
            EXPECT_EQ(printed("(unsigned long)&((struct task_struct *)0)->pid"),
                      std::to_string(last));
        }
    }
    EXPECT_TRUE(found_pid);
    Json init;
    for (const auto& task : guest_->json("ps --json")) {
        if (task["pid"] == 1) {
            init = task;
        }
    }
    ASSERT_TRUE(init.is_object());
    auto values = guest_->json("task 1 -R pid,comm --json");
    EXPECT_EQ(values["address"], init["task"]);
    EXPECT_EQ(values["pid"], "1");
    EXPECT_NE(values["comm"].get<std::string>().find(init["comm"].get<std::string>()),
              std::string::npos)
        << values;
    auto same = guest_->json(
        fmt::format("struct task_struct.pid {} --json", init["task"].get<std::string>()));
    EXPECT_EQ(same["pid"], "1");
    EXPECT_FALSE(guest_->attempt("struct task_struct.no_such_member 0x1000"));
}

// waitq: the cat reading the pipe from `sleep 1002` sleeps on that pipe's read wait queue.
TEST_F(KernelAwareness, WaitqNamesTheReaderOfAPipe) {
    std::string pipe_file;
    int reader = 0;
    for (const auto& task : guest_->json("ps --json")) {
        if (task["comm"] != "cat") {
            continue;
        }
        for (const auto& file :
             guest_->json(fmt::format("files {} --json", task["pid"].get<int>()))) {
            if (file["fd"] == 0 && file["type"] == "FIFO") {
                pipe_file = file["file"].get<std::string>();
                reader = task["pid"].get<int>();
            }
        }
    }
    ASSERT_NE(reader, 0) << "no cat reads a pipe";
    const std::string queue = fmt::format(
        "&((struct pipe_inode_info *)((struct file *){})->private_data)->rd_wait", pipe_file);
    auto sleepers = guest_->json("waitq " + queue + " --json");
    ASSERT_TRUE(sleepers.is_array());
    bool found = false;
    for (const auto& entry : sleepers) {
        found |= entry.contains("pid") && entry["pid"] == reader;
    }
    EXPECT_TRUE(found) << sleepers;
    EXPECT_NE(guest_->run("waitq " + queue).find("COMMAND: \"cat\""), std::string::npos);
    EXPECT_FALSE(guest_->attempt("waitq 0x10"));
}

// tree: the pid IDR (an xarray) indexes every pid ps lists; a task's maple tree holds vm's VMAs
// over [start, end - 1]; an rb-tree walk comes out in key order (vmap areas by va_start, or
// 6.8+'s mount tree by mnt_id_unique where vmap_area_root is gone).
TEST_F(KernelAwareness, TreeWalksXarraysMapleAndRbTrees) {
    std::set<std::uint64_t> pids;
    for (const auto& task : guest_->json("ps --json")) {
        if (task["pid"] != 0) {
            pids.insert(task["pid"].get<std::uint64_t>());
        }
    }
    std::set<std::uint64_t> indices;
    for (const auto& entry : guest_->json("tree -t xarray &init_pid_ns.idr.idr_rt --json")) {
        indices.insert(entry["index"].get<std::uint64_t>());
    }
    // Every task's pid is in the IDR; a few more numbers stay allocated as the process group
    // or session of tasks whose leader has exited (the init script's).
    EXPECT_TRUE(std::includes(indices.begin(), indices.end(), pids.begin(), pids.end()));
    EXPECT_LE(indices.size(), pids.size() + 8);

    const int pid = guest_->facts.maps.begin()->first;
    auto vmas = guest_->json(fmt::format("vm {} --json", pid));
    if (guest_->attempt("ptype struct maple_tree")) {
        auto entries = guest_->json(fmt::format(
            "tree -t maple &((struct task_struct *){})->mm->mm_mt --json",
            guest_->json(fmt::format("task {} -R pid --json", pid))["address"].get<std::string>()));
        ASSERT_EQ(entries.size(), vmas.size()) << entries;
        for (std::size_t i = 0; i < vmas.size(); ++i) {
            EXPECT_EQ(entries[i]["address"], vmas[i]["vma"]);
            EXPECT_EQ(fmt::format("{:#x}", entries[i]["first"].get<std::uint64_t>()),
                      vmas[i]["start"]);
            EXPECT_EQ(fmt::format("{:#x}", entries[i]["last"].get<std::uint64_t>() + 1),
                      vmas[i]["end"]);
        }
    }

    const bool vmap = static_cast<bool>(guest_->attempt("p &vmap_area_root"));
    auto ordered = guest_->json(
        vmap ? "tree -t rbtree -o vmap_area.rb_node -s vmap_area.va_start vmap_area_root --json"
             : "tree -t rbtree -o mount.mnt_node -s mount.mnt_id_unique "
               "&init_task.nsproxy->mnt_ns->mounts --json");
    const std::string key = vmap ? "va_start" : "mnt_id_unique";
    ASSERT_GE(ordered.size(), 3u) << ordered;
    for (std::size_t i = 1; i < ordered.size(); ++i) {
        EXPECT_LT(std::stoull(ordered[i - 1][key].get<std::string>()),
                  std::stoull(ordered[i][key].get<std::string>()))
            << ordered[i - 1] << ordered[i];
    }
    EXPECT_FALSE(guest_->attempt("tree -t splay init_task"));

    // The expression functions walk the same tree: first, last, and a step each way.
    const std::string root = vmap ? "&vmap_area_root" : "&init_task.nsproxy->mnt_ns->mounts";
    const std::string type = vmap ? "struct vmap_area" : "struct mount";
    const std::string link = vmap ? "rb_node" : "mnt_node";
    const auto key_of = [&](const std::string& node) {
        const std::string out = guest_->run(
            fmt::format("p $container_of({}, \"{}\", \"{}\")->{}", node, type, link, key));
        return std::stoull(out.substr(out.find('=') + 1));
    };
    const auto expected = [&](std::size_t i) {
        return std::stoull(ordered[i][key].get<std::string>());
    };
    const std::size_t last = ordered.size() - 1;
    EXPECT_EQ(key_of(fmt::format("$lx_rb_first({})", root)), expected(0));
    EXPECT_EQ(key_of(fmt::format("$lx_rb_last({})", root)), expected(last));
    EXPECT_EQ(key_of(fmt::format("$lx_rb_next($lx_rb_first({}))", root)), expected(1));
    EXPECT_EQ(key_of(fmt::format("$lx_rb_prev($lx_rb_last({}))", root)), expected(last - 1));
    const std::string past_end = guest_->run(fmt::format("p $lx_rb_next($lx_rb_last({}))", root));
    EXPECT_NE(past_end.find("0x0"), std::string::npos) << past_end;
    const std::string count = guest_->run("p $list_count(&modules)");
    EXPECT_EQ(std::stoull(count.substr(count.find('=') + 1)), guest_->json("lsmod --json").size());
    EXPECT_FALSE(guest_->attempt("p $lx_rb_first(init_task)"));
}

// timer: the guest's long sleeps (sleep 1000 x4, 1001, 1002, 1003) each wait on an hrtimer that
// wakes them in about that many seconds; the wheel holds timers too.
TEST_F(KernelAwareness, TimerHoldsTheLongSleeps) {
    auto cpus = guest_->json("timer --json");
    ASSERT_EQ(cpus.size(), 2u);
    const double now = guest_->json("uptime --json")["seconds"].get<double>();
    std::size_t long_sleeps = 0;
    std::size_t wheel = 0;
    for (const auto& cpu : cpus) {
        for (const auto& timer : cpu["hrtimers"]) {
            const double in = timer["expires"].get<double>() / 1e9 - now;
            if (timer["function"] == "hrtimer_wakeup" && in > 900 && in < 1010) {
                ++long_sleeps;
            }
        }
        wheel += cpu["timers"].size();
    }
    EXPECT_GE(long_sleeps, 7u) << cpus.dump();
    EXPECT_GT(wheel, 0u);
    EXPECT_EQ(guest_->json("lx-timerlist --json").size(), 2u);
    EXPECT_NE(guest_->run("timer").find("hrtimer_wakeup"), std::string::npos);
}

// dev lists /proc/devices' majors line for line, and dev -p the PCI devices sysfs has.
TEST_F(KernelAwareness, DevMatchesProcDevicesAndSysfsPci) {
    const auto& facts = guest_->facts;
    ASSERT_GT(facts.devices.size(), 5u);
    auto majors = guest_->json("dev --json");
    std::vector<std::string> lines;
    for (const auto& [key, title] :
         {std::pair{"character", "Character devices:"}, {"block", "Block devices:"}}) {
        lines.emplace_back(title);
        for (const auto& entry : majors[key]) {
            lines.push_back(fmt::format("{:>3} {}", entry["major"].get<unsigned>(),
                                        entry["name"].get<std::string>()));
        }
    }
    std::vector<std::string> proc;
    for (const auto& line : facts.devices) {
        if (!line.empty()) {
            proc.push_back(line);
        }
    }
    // The shell's read drops the leading blanks of "  1 mem".
    for (auto& line : lines) {
        line.erase(0, line.find_first_not_of(' '));
    }
    EXPECT_EQ(lines, proc);

    std::set<std::string> mine;
    for (const auto& device : guest_->json("dev -p --json")) {
        mine.insert(fmt::format("{} {:#06x} {:#06x} {:#08x}", device["slot"].get<std::string>(),
                                device["vendor"].get<unsigned>(), device["device"].get<unsigned>(),
                                device["class"].get<unsigned>()));
    }
    EXPECT_EQ(mine, std::set<std::string>(facts.pci.begin(), facts.pci.end()));
    // QEMU's pc machine always has its host bridge, ISA bridge and IDE controller; virt's PCIe
    // has only its host bridge, as kdive's VM (-nodefaults) plugs no device in.
    EXPECT_GE(mine.size(), test_kernel().ends_with("-arm64") ? 1u : 3u);
    EXPECT_NE(guest_->run("dev").find("Block devices:"), std::string::npos);
}

// net counts what /proc/net/dev counted for lo and dummy0 after the guest pinged through both
// (give or take what IPv6 sends after), and gives their IPv4 addresses.
TEST_F(KernelAwareness, NetMatchesProcNetDev) {
    const auto& proc = guest_->facts.net_devices;
    ASSERT_FALSE(proc.empty()) << "no /proc/net/dev";
    std::map<std::string, Json> mine;
    for (const auto& device : guest_->json("net --json")) {
        mine[device["name"].get<std::string>()] = device;
    }
    EXPECT_EQ(mine.size(), proc.size());
    for (const auto& device : proc) {
        ASSERT_TRUE(mine.contains(device.name)) << device.name;
        const Json& row = mine[device.name];
        if (device.name == "lo" || device.name == "dummy0") {
            // Counters only grow; IPv6 set-up may still send a packet or two after the print.
            for (auto [key, counted] : {std::pair{"rx_bytes", device.rx_bytes},
                                        {"rx_packets", device.rx_packets},
                                        {"tx_bytes", device.tx_bytes},
                                        {"tx_packets", device.tx_packets}}) {
                const auto now = row[key].get<unsigned long long>();
                EXPECT_GE(now, counted) << key << " " << row;
                EXPECT_LE(now, counted + (std::string_view(key).ends_with("bytes") ? 2048 : 16))
                    << key << " " << row;
            }
        }
    }
    ASSERT_TRUE(mine.contains("lo"));
    EXPECT_GE(mine["lo"]["tx_packets"].get<std::uint64_t>(), 4u) << "lo saw no ping";
    EXPECT_EQ(mine["lo"]["rx_packets"], mine["lo"]["tx_packets"])
        << "loopback receives what it sends";
    EXPECT_EQ(mine["lo"]["ipv4"], Json::array({"127.0.0.1/8"}));
    if (mine.contains("dummy0")) {
        EXPECT_EQ(mine["dummy0"]["ipv4"], Json::array({"10.11.12.1/24"}));
        EXPECT_GE(mine["dummy0"]["tx_packets"].get<std::uint64_t>(), 2u);
        EXPECT_EQ(mine["dummy0"]["address"].get<std::string>().size(), 17u);
    }
    EXPECT_NE(guest_->run("net").find("127.0.0.1/8"), std::string::npos);
}

// net --tcp holds every listening and established row of /proc/net/tcp and tcp6 (nc on 4242, the
// nc pair on 4243) with its addresses, state and inode; net --unix the inodes and paths of
// /proc/net/unix (syslogd's /dev/log); net -s the socket behind nc's socket:[INO] descriptor.
TEST_F(KernelAwareness, NetSocketsMatchProcNet) {
    const auto& facts = guest_->facts;
    const auto key = [](int family, const std::string& local, const std::string& remote,
                        unsigned state, unsigned long long inode) {
        return fmt::format("{} {} {} {:02X} {}", family, local, remote, state, inode);
    };
    std::set<std::string> proc_tcp;
    for (const auto& row : facts.tcp_sockets) {
        if (row.state == 0x01 || row.state == 0x0A) {
            proc_tcp.insert(key(row.family, row.local, row.remote, row.state, row.inode));
        }
    }
    const auto listening = std::ranges::count_if(facts.tcp_sockets, [](const auto& row) {
        return row.state == 0x0A && row.local.ends_with(":4242");
    });
    const auto established =
        std::ranges::count_if(facts.tcp_sockets, [](const auto& row) { return row.state == 0x01; });
    ASSERT_EQ(listening, 1) << "the guest's nc does not listen on 4242";
    ASSERT_GE(established, 2) << "the guest's nc pair did not connect";
    std::set<std::string> mine_tcp;
    for (const auto& row : guest_->json("net --tcp --json")) {
        const unsigned state = row["state"].get<unsigned>();
        if (state == 0x01 || state == 0x0A) {
            mine_tcp.insert(key(row["family"].get<int>(),
                                fmt::format("{}:{}", row["local_address"].get<std::string>(),
                                            row["local_port"].get<unsigned>()),
                                fmt::format("{}:{}", row["remote_address"].get<std::string>(),
                                            row["remote_port"].get<unsigned>()),
                                state, row["inode"].get<unsigned long long>()));
        }
    }
    EXPECT_EQ(mine_tcp, proc_tcp);

    std::set<std::pair<unsigned long long, std::string>> proc_unix, mine_unix;
    for (const auto& row : facts.unix_sockets) {
        proc_unix.emplace(row.inode, row.path);
    }
    ASSERT_TRUE(std::ranges::any_of(facts.unix_sockets, [](const auto& row) {
        return row.path == "/dev/log";
    })) << "syslogd bound no /dev/log";
    for (const auto& row : guest_->json("net --unix --json")) {
        mine_unix.emplace(row["inode"].get<unsigned long long>(),
                          row["path"].is_null() ? std::string() : row["path"].get<std::string>());
    }
    EXPECT_EQ(mine_unix, proc_unix);
    EXPECT_NE(guest_->run("net --unix").find("/dev/log"), std::string::npos);

    // /dev/log's hash chain aimed back at its own sock: an error naming the loop, not a hang.
    std::string dev_log;
    for (const auto& row : guest_->json("net --unix --json")) {
        if (row["path"] == "/dev/log") {
            dev_log = row["sock"].get<std::string>();
        }
    }
    ASSERT_FALSE(dev_log.empty());
    const std::string node = fmt::format("((struct sock *){})->__sk_common.skc_node", dev_log);
    const std::string saved = guest_->run("p/x " + node + ".next");
    ASSERT_NE(saved.find("0x"), std::string::npos) << saved;
    guest_->run(fmt::format("set var {}.next = &{}", node, node));
    auto cycle = guest_->attempt("net --unix --json");
    guest_->run(fmt::format("set var {}.next = {}", node, saved.substr(saved.find("0x"))));
    ASSERT_FALSE(cycle);
    EXPECT_EQ(cycle.error().kind, ErrorKind::corrupt) << cycle.error().message;
    EXPECT_NE(cycle.error().message.find("loops back to 0x"), std::string::npos)
        << cycle.error().message;
    EXPECT_TRUE(cycle.error().message.contains("unix_socket_table[") ||
                cycle.error().message.contains("init_net.unx.table.buckets["))
        << cycle.error().message;
    EXPECT_EQ(guest_->json("net --unix --json").size(), proc_unix.size());

    // nc's descriptors as readlink named them: socket:[INO] for the listening one.
    const std::regex socket_link(R"(socket:\[([0-9]+)\])");
    int nc = 0;
    std::map<int, unsigned long long> proc_fds;
    for (const auto& [pid, fds] : facts.files) {
        for (const auto& [fd, target] : fds) {
            std::smatch match;
            if (std::regex_match(target, match, socket_link)) {
                nc = pid;
                proc_fds[fd] = std::stoull(match[1]);
            }
        }
    }
    ASSERT_NE(nc, 0) << "nc showed no socket descriptor";
    std::map<int, unsigned long long> mine_fds;
    for (const auto& row : guest_->json(fmt::format("net -s {} --json", nc))) {
        mine_fds[row["fd"].get<int>()] = row["inode"].get<unsigned long long>();
        EXPECT_EQ(row["state_name"], "LISTEN") << row;
        EXPECT_EQ(row["local_port"], 4242) << row;
        EXPECT_EQ(row["type_name"], "STREAM") << row;
        EXPECT_TRUE(row["sock"].get<std::string>().starts_with("0xff")) << row;
    }
    EXPECT_EQ(mine_fds, proc_fds);
    const std::string text = guest_->run(fmt::format("net -s {}", nc));
    EXPECT_NE(text.find(":4242"), std::string::npos) << text;
    auto bad = guest_->attempt("net -s 999999");
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().message.find("999999"), std::string::npos) << bad.error().message;
    EXPECT_FALSE(guest_->attempt("net --tcp --unix"));
}

} // namespace
} // namespace kdive::testing
