// kdive's kernel commands against the running test kernel, checked against the guest's own /proc
// (printed on the console by the init script): ps, current, dmesg, lsmod, mounts, cmdline,
// version, uptime, per-cpu, vtop, and the expression functions; then a KASLR boot.
#include "cli/eval_commands.hpp"
#include "cli/gdb_handoff.hpp"
#include "cli/kernel_commands.hpp"
#include "gdb_reference.hpp"
#include "guest_facts.hpp"
#include "lab/boot_kernel.hpp"
#include "lab/console_log.hpp"
#include "lab/kconfig_file.hpp"
#include "prerequisite.hpp"
#include "rsp/endpoint.hpp"
#include "support/atomic_file.hpp"
#include "support/guest_text.hpp"
#include "support/subprocess.hpp"
#include "target/rsp_target.hpp"
#include "test_vm.hpp"

#include <algorithm>
#include <bit>
#include <cctype>
#include <chrono>
#include <fstream>
#include <gtest/gtest.h>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>

namespace kdive::testing {
namespace {

using Json = nlohmann::json;

// A leaf module by file name (lib/ moved into lib/crc/ in 7.x; .ko or .ko.xz).
std::filesystem::path find_module(const std::filesystem::path& kernel_dir, std::string_view stem) {
    for (const auto& item : std::filesystem::recursive_directory_iterator(kernel_dir / "modules")) {
        const std::string name = item.path().filename().string();
        if (name.starts_with(std::string(stem) + ".ko")) {
            return item.path();
        }
    }
    return {};
}

std::string read_text(const std::filesystem::path& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

// A booted guest with kdive attached: the VM, its facts, the target and the commands.
struct AttachedGuest {
    std::optional<TestVm> vm;
    GuestFacts facts;
    std::unique_ptr<target::RspTarget> target;
    std::unique_ptr<debuginfo::DebugInfo> info;
    std::filesystem::path info_path;
    std::unique_ptr<cli::KernelCommands> commands;
    std::unique_ptr<cli::EvalCommands> eval;
    std::string error;

    static std::unique_ptr<AttachedGuest> boot(const std::vector<std::string>& extra) {
        auto guest = std::make_unique<AttachedGuest>();
        guest->start(extra);
        return guest;
    }

    void start(std::vector<std::string> extra) {
        auto kernel = lab::resolve_boot_kernel(test_kernel());
        if (!kernel) {
            error = kernel.error().message;
            return;
        }
        const auto dir = kernel->vmlinux.parent_path();
        TempDir work("kernel-awareness");
        const auto script = work.path() / "facts.sh";
        const auto rootfs = work.path() / "rootfs.cpio.gz";
        if (auto ok = write_file_atomically(script, facts_script()); !ok) {
            error = ok.error().message;
            return;
        }
        std::vector<std::string> args{"rootfs", "-o", rootfs.string(), "--init-script",
                                      script.string()};
        for (std::string_view module : {"dummy", "crc-itu-t"}) {
            auto path = find_module(dir, module);
            if (!path.empty()) {
                args.insert(args.end(), {"--module", path.string()});
            }
        }
        if (auto built = run_kdive(args); !built) {
            error = built.error().message;
            return;
        }
        extra.insert(extra.end(), {"--smp", "2", "--initrd", rootfs.string()});
        auto booted = TestVm::boot(test_kernel(), extra);
        if (!booted) {
            error = booted.error().message;
            return;
        }
        vm.emplace(std::move(*booted));
        if (auto ok = vm->wait_for(ready_marker); !ok) {
            error = ok.error().message;
            return;
        }
        (void)vm->wait_for(lab::shell_banner, std::chrono::seconds(60));
        facts = parse_facts(read_text(vm->session().console_log));
        info_path = vm->session().vmlinux;
        if (auto ok = attach(); !ok) {
            error = ok.error().message;
        }
    }

    // kdive's target and commands on the VM's stub.
    Result<> attach() {
        auto endpoint = rsp::Endpoint::parse(vm->session().gdb);
        auto attached = target::RspTarget::attach(*endpoint);
        if (!attached) {
            return std::unexpected(attached.error());
        }
        target = std::move(*attached);
        if (!info) {
            auto opened = debuginfo::DebugInfo::open(info_path);
            if (!opened) {
                return std::unexpected(opened.error());
            }
            info = std::move(*opened);
        }
        commands = std::make_unique<cli::KernelCommands>(*info, *target);
        eval = std::make_unique<cli::EvalCommands>(*info, &commands->memory(), &commands->memory());
        commands->serve(*eval);
        return {};
    }
    // QEMU serves one debugger at a time: lets another one have the stub until attach().
    void release() {
        eval.reset();
        commands.reset();
        target.reset(); // detaches; the guest runs
    }

    ~AttachedGuest() {
        eval.reset();
        commands.reset();
        target.reset(); // detaches
        if (vm) {
            (void)vm->stop();
        }
    }

    std::string run(const std::string& line) {
        auto out = commands->run(line);
        if (!out) {
            out = eval->run(line);
        }
        EXPECT_TRUE(out) << line << ": not a command";
        if (!out) {
            return {};
        }
        EXPECT_TRUE(*out) << line << ": " << out->error().message;
        return *out ? **out : std::string();
    }
    // A command's answer or its error, whichever it gave.
    Result<std::string> attempt(const std::string& line) {
        auto out = commands->run(line);
        if (!out) {
            out = eval->run(line);
        }
        if (!out) {
            return fail("{}: not a command", line);
        }
        return *out;
    }
    Json json(const std::string& line) {
        const std::string text = run(line);
        auto parsed = Json::parse(text, nullptr, false);
        EXPECT_FALSE(parsed.is_discarded()) << line << " printed no JSON: " << text;
        return parsed;
    }
};

class KernelAwareness : public ::testing::Test {
protected:
    static void SetUpTestSuite() { guest_ = AttachedGuest::boot({}).release(); }
    static void TearDownTestSuite() {
        delete guest_;
        guest_ = nullptr;
    }
    void SetUp() override {
        ASSERT_TRUE(guest_->error.empty()) << guest_->error;
        ASSERT_FALSE(guest_->facts.version.empty()) << "the guest printed no facts";
    }
    static AttachedGuest* guest_;
};

AttachedGuest* KernelAwareness::guest_ = nullptr;

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
        EXPECT_TRUE(task["task"].get<std::string>().starts_with("0xffff"));
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
    EXPECT_EQ(sys["machine"], "x86_64");
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

// kmem -s holds what /proc/slabinfo printed: every cache by name with its geometry; counts move
// between the guest's print and the stop, so they are held to the total and to task_struct.
TEST_F(KernelAwareness, KmemSlabsMatchProcSlabinfo) {
    const auto& proc = guest_->facts.slabs;
    ASSERT_GT(proc.size(), 50u) << "the guest printed no /proc/slabinfo";
    auto caches = guest_->json("kmem -s --json");
    ASSERT_TRUE(caches.is_array());
    std::map<std::string, Json> by_name;
    for (const auto& cache : caches) {
        by_name[cache["name"].get<std::string>()] = cache;
        EXPECT_LE(cache["active_objects"].get<std::uint64_t>(),
                  cache["objects"].get<std::uint64_t>())
            << cache;
        EXPECT_TRUE(cache["address"].get<std::string>().starts_with("0xffff")) << cache;
    }
    std::uint64_t proc_total = 0;
    std::uint64_t kdive_total = 0;
    for (const auto& slab : proc) {
        auto found = by_name.find(slab.name);
        ASSERT_NE(found, by_name.end()) << slab.name << " is in /proc/slabinfo only";
        const Json& cache = found->second;
        // slabinfo's objsize is the stride (kmem_cache.size); object_size is what was asked for.
        EXPECT_EQ(cache["size"], slab.object_size) << slab.name;
        EXPECT_LE(cache["object_size"].get<std::uint64_t>(), slab.object_size) << slab.name;
        EXPECT_EQ(cache["objects_per_slab"], slab.objects_per_slab) << slab.name;
        EXPECT_EQ(cache["pages_per_slab"], slab.pages_per_slab) << slab.name;
        proc_total += slab.objects;
        kdive_total += cache["objects"].get<std::uint64_t>();
    }
    EXPECT_EQ(caches.size(), proc.size());
    EXPECT_NEAR(static_cast<double>(kdive_total), static_cast<double>(proc_total),
                0.1 * static_cast<double>(proc_total));
    // Every task has its task_struct.
    ASSERT_TRUE(by_name.contains("task_struct"));
    EXPECT_GE(by_name["task_struct"]["active_objects"].get<std::size_t>(),
              guest_->json("ps --json").size());
    // One cache by name, in crash's columns, and the lx-* spelling.
    const std::string text = guest_->run("kmem -s task_struct");
    EXPECT_NE(text.find("OBJSIZE"), std::string::npos) << text;
    EXPECT_NE(text.find("task_struct"), std::string::npos) << text;
    EXPECT_EQ(guest_->json("lx-slabinfo --json").size(), caches.size());
    auto unknown = guest_->attempt("kmem -s no-such-cache");
    ASSERT_FALSE(unknown);
    EXPECT_NE(unknown.error().message.find("no-such-cache"), std::string::npos);
}

// kmem -i counts what /proc/meminfo printed: the total exactly, the rest within what a guest
// that has gone on booting for a moment changes.
TEST_F(KernelAwareness, KmemTotalsMatchProcMeminfo) {
    const auto& proc = guest_->facts.meminfo_kib;
    ASSERT_TRUE(proc.contains("MemTotal") && proc.contains("PageTables")) << "no /proc/meminfo";
    auto mem = guest_->json("kmem -i --json");
    ASSERT_TRUE(mem.is_object());
    const auto kib = [&](const char* key) { return mem[key].get<std::uint64_t>() / 1024; };
    const double total = static_cast<double>(proc.at("MemTotal"));
    EXPECT_EQ(kib("total"), proc.at("MemTotal"));
    for (auto [key, name] : {std::pair{"free", "MemFree"},
                             {"available", "MemAvailable"},
                             {"cached", "Cached"},
                             {"buffers", "Buffers"},
                             {"slab", "Slab"}}) {
        EXPECT_NEAR(static_cast<double>(kib(key)), static_cast<double>(proc.at(name)), 0.03 * total)
            << key;
    }
    EXPECT_NEAR(static_cast<double>(kib("slab")), static_cast<double>(proc.at("Slab")),
                0.2 * static_cast<double>(proc.at("Slab")));
    EXPECT_NEAR(static_cast<double>(kib("page_tables")), static_cast<double>(proc.at("PageTables")),
                std::max(256.0, 0.5 * static_cast<double>(proc.at("PageTables"))));
    std::uint64_t managed = 0;
    for (const auto& zone : mem["zones"]) {
        managed += zone["managed"].get<std::uint64_t>();
        EXPECT_LE(zone["free"].get<std::uint64_t>(), zone["managed"].get<std::uint64_t>()) << zone;
    }
    EXPECT_EQ(managed / 1024, proc.at("MemTotal")) << "the zones' managed pages are MemTotal";
    EXPECT_NE(guest_->run("kmem -i").find("TOTAL MEM"), std::string::npos);
}

// kmem ADDR names what each of a few known addresses is: pid 1's task_struct (a task_struct
// slab object, allocated, at comm's offset), a struct file of `files` (filp), pid 1's stack,
// module text where lsmod puts it, init_task in the image, CPU 1's runqueues; and in a slab
// the kernel is not filling (not frozen on a CPU), the objects kdive finds allocated number
// the slab's own inuse count.
TEST_F(KernelAwareness, KmemNamesWhatAnAddressIs) {
    const auto hex = [](const Json& text) {
        return std::stoull(text.get<std::string>(), nullptr, 16);
    };
    const std::string init = guest_->json("ps --json")[1]["task"].get<std::string>();
    ASSERT_EQ(guest_->json("ps --json")[1]["pid"], 1);
    auto comm = guest_->json("kmem &$lx_task_by_pid(1)->comm --json");
    EXPECT_EQ(comm["kind"], "slab") << comm;
    EXPECT_EQ(comm["cache_name"], "task_struct") << comm;
    EXPECT_EQ(comm["object"], init) << comm;
    EXPECT_EQ(comm["object_offset"].get<std::uint64_t>(), hex(comm["address"]) - hex(Json(init)));
    EXPECT_GT(comm["object_offset"].get<std::uint64_t>(), 0u);
    EXPECT_EQ(comm["allocated"], true) << comm;
    ASSERT_TRUE(comm.contains("page")) << comm;
    EXPECT_EQ(comm["page"]["slab"], true) << comm;

    // The slab's head page says slab, by flag (before 6.10) or by page type.
    auto head = guest_->json(fmt::format("kmem -p {} --json", comm["slab"].get<std::string>()));
    const auto& names = head["flag_names"];
    EXPECT_TRUE(std::ranges::find(names, "slab") != names.end() || head["type"] == "slab") << head;
    EXPECT_EQ(head["page"], comm["slab"]);

    ASSERT_FALSE(guest_->facts.files.empty());
    const int sleeper = guest_->facts.files.begin()->first;
    auto files = guest_->json(fmt::format("files {} --json", sleeper));
    ASSERT_FALSE(files.empty());
    auto file = guest_->json(fmt::format("kmem {} --json", files[0]["file"].get<std::string>()));
    EXPECT_EQ(file["kind"], "slab") << file;
    EXPECT_EQ(file["cache_name"], "filp") << file;
    EXPECT_EQ(file["object"], files[0]["file"]) << file;
    EXPECT_EQ(file["allocated"], true) << file;

    const std::string stack_text = guest_->run("p $lx_task_by_pid(1)->stack");
    const auto at = stack_text.find("0x");
    ASSERT_NE(at, std::string::npos) << stack_text;
    const std::uint64_t stack = std::stoull(stack_text.substr(at), nullptr, 16);
    auto in_stack = guest_->json(fmt::format("kmem {:#x} --json", stack + 0x100));
    EXPECT_EQ(in_stack["kind"], "stack") << in_stack;
    EXPECT_EQ(in_stack["pid"], 1) << in_stack;
    EXPECT_EQ(in_stack["stack_base"], fmt::format("{:#x}", stack)) << in_stack;
    EXPECT_EQ(in_stack["depth"].get<std::uint64_t>(),
              in_stack["stack_size"].get<std::uint64_t>() - 0x100);

    auto modules = guest_->json("lsmod --json");
    ASSERT_FALSE(modules.empty());
    auto module = guest_->json(fmt::format("kmem {:#x} --json", hex(modules[0]["base"]) + 0x10));
    EXPECT_EQ(module["kind"], "module") << module;
    EXPECT_EQ(module["module"], modules[0]["name"]) << module;
    EXPECT_TRUE(module["region"] == "text" || module["region"] == "core") << module;
    EXPECT_TRUE(module["section"].get<std::string>().starts_with(".text")) << module;

    auto image = guest_->json("kmem init_task --json");
    EXPECT_EQ(image["kind"], "image") << image;
    EXPECT_EQ(image["symbol"], "init_task") << image;
    EXPECT_EQ(image["offset"], 0) << image;

    auto runqueue = guest_->json("kmem $lx_per_cpu(runqueues, 1) --json");
    EXPECT_EQ(runqueue["kind"], "percpu") << runqueue;
    EXPECT_EQ(runqueue["cpu"], 1) << runqueue;
    EXPECT_EQ(runqueue["symbol"], "runqueues") << runqueue;

    EXPECT_EQ(guest_->json("kmem 0x1000 --json")["kind"], "user");
    const std::string text = guest_->run(fmt::format("kmem {}", init.substr(2)));
    EXPECT_NE(text.find("task_struct"), std::string::npos) << text;
    EXPECT_NE(text.find("ALLOCATED"), std::string::npos) << text;

    // A slab not frozen on a CPU: the freelist walk's allocated objects are the slab's inuse.
    const bool slab_struct = guest_->attempt("p sizeof(struct slab)").has_value();
    int checked = 0;
    std::set<std::string> slabs_seen;
    for (const auto& task : guest_->json("ps --json")) {
        if (checked > 0 || task["pid"] == 0) {
            continue;
        }
        auto object = guest_->json(fmt::format("kmem {} --json", task["task"].get<std::string>()));
        if (object["kind"] != "slab" ||
            !slabs_seen.insert(object["slab"].get<std::string>()).second) {
            continue;
        }
        const std::string slab = object["slab"].get<std::string>();
        const std::string type = slab_struct ? "struct slab" : "struct page";
        const auto member = [&](std::string_view name) {
            const std::string out = guest_->run(fmt::format("p (({} *){})->{}", type, slab, name));
            return std::stoull(out.substr(out.find('=') + 1));
        };
        // 7.0 dropped per-CPU slabs, and with them the frozen bit.
        if (guest_->attempt(fmt::format("p (({} *){})->frozen", type, slab)) &&
            member("frozen") != 0) {
            continue;
        }
        const std::uint64_t first =
            hex(object["object"]) -
            object["index"].get<std::uint64_t>() * object["object_size"].get<std::uint64_t>();
        std::uint64_t allocated = 0;
        for (std::uint64_t i = 0; i < object["objects"].get<std::uint64_t>(); ++i) {
            auto each = guest_->json(fmt::format(
                "kmem {:#x} --json", first + i * object["object_size"].get<std::uint64_t>()));
            EXPECT_EQ(each["slab"], object["slab"]) << each;
            allocated += each["allocated"] == true ? 1 : 0;
        }
        EXPECT_EQ(allocated, member("inuse")) << "slab " << slab;
        EXPECT_EQ(object["objects"].get<std::uint64_t>(), member("objects"));
        ++checked;
    }
    EXPECT_EQ(checked, 1) << "no task_struct slab was off the CPUs";
}

// vmalloc lists the busy areas /proc/vmallocinfo listed: nearly all of them (a stack of a task
// that exited since may be gone), each with the same range, size and caller.
TEST_F(KernelAwareness, VmallocMatchesProcVmallocinfo) {
    const auto& proc = guest_->facts.vmalloc;
    ASSERT_GT(proc.size(), 20u) << "the guest printed no /proc/vmallocinfo";
    std::map<std::string, Json> by_start;
    for (const auto& area : guest_->json("vmalloc --json")) {
        by_start[area["start"].get<std::string>()] = area;
    }
    std::size_t compared = 0;
    std::size_t found = 0;
    for (const auto& line : proc) {
        std::istringstream fields(line);
        std::string range, caller;
        std::uint64_t size = 0;
        fields >> range >> size >> caller;
        // vmallocinfo also lists the freed areas waiting for a lazy purge ("unpurged vm_area").
        if (caller == "vm_map_ram" || caller == "unpurged" ||
            range.find('-') == std::string::npos) {
            continue;
        }
        ++compared;
        const std::string start = range.substr(0, range.find('-'));
        auto area = by_start.find(start);
        if (area == by_start.end()) {
            std::cout << "not in vmalloc's answer (freed since?): " << line << "\n";
            continue;
        }
        ++found;
        EXPECT_EQ(area->second["end"], range.substr(range.find('-') + 1)) << line;
        EXPECT_EQ(area->second["size"], size) << line;
        const std::string mine = area->second["caller"].get<std::string>();
        EXPECT_EQ(mine.substr(0, mine.find('+')), caller) << line;
    }
    ASSERT_GT(compared, 20u);
    EXPECT_GE(found * 10, compared * 9) << found << " of " << compared << " areas found";
    const std::string text = guest_->run("vmalloc");
    EXPECT_NE(text.find(" vmalloc"), std::string::npos) << text;
}

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
    EXPECT_GE(mine.size(), 3u);
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
        EXPECT_TRUE(row["sock"].get<std::string>().starts_with("0xffff")) << row;
    }
    EXPECT_EQ(mine_fds, proc_fds);
    const std::string text = guest_->run(fmt::format("net -s {}", nc));
    EXPECT_NE(text.find(":4242"), std::string::npos) << text;
    auto bad = guest_->attempt("net -s 999999");
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().message.find("999999"), std::string::npos) << bad.error().message;
    EXPECT_FALSE(guest_->attempt("net --tcp --unix"));
}

// search finds what the guest put in memory: a marker string it assembled at run time (so the
// script's text does not hold it) and wrote to a tmpfs file, in kernel memory and in physical
// RAM at the same places; the pointer to pid 1 that init_pid_ns.child_reaper holds; and the
// "1002" of a sleep's arguments inside one of its /proc/PID/maps mappings. Whole-RAM scans run
// in `kdive attach` on the session, which reads guest RAM directly.
TEST_F(KernelAwareness, SearchFindsKnownValuesAndStrings) {
    const std::string marker = "KDIVE-SEARCH-MARKER-5f1e9";
    int sleeper = 0;
    for (const auto& [pid, fds] : guest_->facts.files) {
        if (fds.size() > 4) { // the sleep holds fds 3, 4 and 5 beside its standard ones
            sleeper = pid;
        }
    }
    ASSERT_NE(sleeper, 0);
    const std::string session = guest_->vm->session().dir.string();
    const auto batch = [&](const std::vector<std::string>& commands) {
        std::vector<std::string> args{"attach", session, "--batch"};
        for (const auto& command : commands) {
            args.insert(args.end(), {"-ex", command});
        }
        auto run = run_kdive(args);
        EXPECT_TRUE(run) << run.error().message;
        std::vector<std::string> lines;
        std::istringstream in(run ? *run : std::string());
        for (std::string line; std::getline(in, line);) {
            lines.push_back(line);
        }
        return lines;
    };
    guest_->release();
    const auto answers =
        batch({"search -c " + marker + " --json", "search -p -c " + marker + " --json",
               "p &init_pid_ns.child_reaper", "search $lx_task_by_pid(1) --json",
               fmt::format("search -u {} -c 1002 --json", sleeper), "search -c " + marker});
    ASSERT_GE(answers.size(), 6u);
    const Json kernel_hits = Json::parse(answers[0]);
    ASSERT_FALSE(kernel_hits["hits"].empty()) << kernel_hits;
    EXPECT_TRUE(kernel_hits["stopped"].is_null());
    std::set<std::string> physical_of_kernel_hits;
    std::vector<std::string> show;
    for (const auto& hit : kernel_hits["hits"]) {
        if (show.size() < 5) {
            show.push_back(fmt::format("p (char *){}", hit["address"].get<std::string>()));
        }
        if (hit.contains("physical")) {
            physical_of_kernel_hits.insert(hit["physical"].get<std::string>());
        }
    }
    std::set<std::string> physical;
    const Json physical_hits = Json::parse(answers[1]);
    for (const auto& hit : physical_hits["hits"]) {
        physical.insert(hit["physical"].get<std::string>());
    }
    EXPECT_EQ(physical, physical_of_kernel_hits) << answers[0] << "\n" << answers[1];
    EXPECT_GT(physical_hits["searched"].get<std::uint64_t>(), std::uint64_t{256} << 20);

    const std::string& reaper = answers[2];
    const auto at = reaper.rfind("0x");
    ASSERT_NE(at, std::string::npos) << reaper;
    const std::string reaper_address = reaper.substr(at, reaper.find_first_of(" \n", at) - at);
    const Json pointers = Json::parse(answers[3])["hits"];
    EXPECT_TRUE(std::ranges::any_of(
        pointers, [&](const Json& hit) { return hit["address"] == reaper_address; }))
        << reaper_address << " not among " << pointers.size() << " hits";

    const Json user = Json::parse(answers[4]);
    ASSERT_FALSE(user["hits"].empty()) << user;
    for (const auto& hit : user["hits"]) {
        const std::uint64_t address = std::stoull(hit["address"].get<std::string>(), nullptr, 16);
        EXPECT_TRUE(std::ranges::any_of(guest_->facts.maps[sleeper], [&](const auto& mapping) {
            return address >= mapping.start && address < mapping.end;
        })) << hit;
    }
    EXPECT_NE(answers[5].find(": " + marker), std::string::npos) << answers[5];

    // What sits at the hits is the marker, read the ordinary way.
    for (const auto& line : batch(show)) {
        EXPECT_NE(line.find(marker), std::string::npos) << line;
    }
    auto reattached = guest_->attach();
    ASSERT_TRUE(reattached) << reattached.error().message;
    EXPECT_FALSE(guest_->attempt("search"));
    auto unknown = guest_->attempt("search -u 999999 1");
    ASSERT_FALSE(unknown);
    EXPECT_NE(unknown.error().message.find("999999"), std::string::npos);
}

// files PID names every descriptor as readlink /proc/PID/fd/N did: a regular file, /dev/null, a
// tmpfs file, the pipe to cat, the console, and nc's listening socket.
TEST_F(KernelAwareness, FilesMatchProcFd) {
    ASSERT_EQ(guest_->facts.files.size(), 2u) << "the guest did not list the fds of its tasks";
    std::set<std::string> types;
    for (const auto& [pid, fds] : guest_->facts.files) {
        auto files = guest_->json(fmt::format("files {} --json", pid));
        ASSERT_TRUE(files.is_array());
        std::map<int, std::string> seen;
        for (const auto& file : files) {
            seen[file["fd"].get<int>()] = file["path"].get<std::string>();
            types.insert(file["type"].get<std::string>());
            EXPECT_TRUE(file["file"].get<std::string>().starts_with("0xffff")) << file;
        }
        EXPECT_EQ(seen, fds) << "pid " << pid;
    }
    EXPECT_TRUE(types.contains("REG") && types.contains("CHR") && types.contains("FIFO") &&
                types.contains("SOCK"))
        << fmt::format("{}", fmt::join(types, " "));
    const std::string text =
        guest_->run(fmt::format("files {}", guest_->facts.files.begin()->first));
    EXPECT_NE(text.find("COMMAND:"), std::string::npos) << text;
    auto bad = guest_->attempt("files 999999");
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().message.find("999999"), std::string::npos) << bad.error().message;
}

// vm PID lists the mappings /proc/PID/maps printed, line for line, and vm --rss counts the
// VmRSS /proc/PID/status printed (the tasks sleep: neither changes before the stop).
TEST_F(KernelAwareness, VmMatchesProcMaps) {
    ASSERT_EQ(guest_->facts.maps.size(), 2u) << "the guest did not list the maps of its tasks";
    for (const auto& [pid, maps] : guest_->facts.maps) {
        auto mappings = guest_->json(fmt::format("vm {} --json", pid));
        ASSERT_TRUE(mappings.is_array());
        ASSERT_EQ(mappings.size(), maps.size()) << "pid " << pid << ": " << mappings.dump();
        for (std::size_t i = 0; i < maps.size(); ++i) {
            const auto& mine = mappings[i];
            const auto& proc = maps[i];
            EXPECT_EQ(mine["start"], fmt::format("{:#x}", proc.start)) << pid << " " << i;
            EXPECT_EQ(mine["end"], fmt::format("{:#x}", proc.end)) << pid << " " << i;
            EXPECT_EQ(mine["flags"], proc.flags) << pid << " " << i;
            EXPECT_EQ(mine["pgoff"], proc.offset) << pid << " " << i;
            EXPECT_EQ(mine["name"], proc.path) << pid << " " << i;
        }
        auto rss = guest_->json(fmt::format("vm --rss {} --json", pid));
        EXPECT_EQ(rss["rss"].get<std::uint64_t>() / 1024, guest_->facts.rss_kib.at(pid)) << pid;
    }
    const int pid = guest_->facts.maps.begin()->first;
    const std::string text = guest_->run(fmt::format("vm {}", pid));
    EXPECT_NE(text.find("[stack]"), std::string::npos) << text;
    EXPECT_NE(guest_->run("vm 2").find("kernel thread"), std::string::npos);
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
    EXPECT_NE(shown.find("PML4"), std::string::npos) << shown;
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
    EXPECT_EQ(*target.read_register("rip"), function);
    EXPECT_NE(guest_->run("info symbol $rip").find("dummy_get_stats64 in section .text of dummy"),
              std::string::npos);
    // The trace names the module's source line, from its debug file.
    auto trace = guest_->json("bt --json");
    ASSERT_FALSE(trace["frames"].empty()) << trace.dump();
    EXPECT_EQ(trace["frames"][0]["function"], "dummy_get_stats64");
    EXPECT_EQ(trace["frames"][0]["module"], "dummy");
    EXPECT_EQ(trace["frames"][0]["file"], "drivers/net/dummy.c");
    // Stopped at the entry with its arguments in place: the device is dummy0.
    const std::string device = guest_->run("p ((struct net_device *)$rdi)->name");
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

// GDB with the kernel's own lx-scripts (from its Debian source) on the same stopped guest: the
// same tasks with the same pids and names.
TEST_F(KernelAwareness, LxPsInGdbAgrees) {
    if (find_program("gdb").empty()) {
        KDIVE_MISSING_PREREQUISITE() << "gdb is not installed";
    }
    RunOptions options;
    options.timeout = std::chrono::minutes(15);
    auto scripts = run_process({KDIVE_BINARY, "kernel", "gdb-scripts", test_kernel()}, options);
    ASSERT_TRUE(scripts) << scripts.error().message;
    // Debian's linux-source exists for some releases only (not 5.10's or sid's): no lx-scripts
    // there is the kernel's fact, not a missing prerequisite.
    if (scripts->exit_code != 0 &&
        scripts->err.find("no Debian linux-source package") != std::string::npos) {
        GTEST_SKIP() << "no lx-scripts for " << test_kernel() << ": " << scripts->err;
    }
    if (scripts->exit_code != 0) {
        KDIVE_MISSING_PREREQUISITE()
            << "no lx-scripts for " << test_kernel() << ": " << scripts->err;
    }
    std::string script = scripts->out;
    while (!script.empty() && script.back() == '\n') {
        script.pop_back();
    }
    script = script.substr(script.rfind('\n') + 1);

    // The guest runs between the two debuggers: compare the tasks that live on.
    auto ours = guest_->json("ps --json");
    guest_->release();
    auto gdb = run_process(gdb_batch({guest_->info_path.string(), "-ex", "source " + script, "-ex",
                                      std::string("target remote | ") + KDIVE_BINARY + " relay " +
                                          guest_->vm->session().gdb,
                                      "-ex", "lx-ps", "-ex", "detach"}),
                           options);
    auto reattached = guest_->attach();
    ASSERT_TRUE(reattached) << reattached.error().message;
    ASSERT_TRUE(gdb) << gdb.error().message;
    expect_lx_ps_agrees(ours, gdb->out, guest_->json("ps --json"));
}

// kdive's own lx-* in GDB, on every kernel (no kernel scripts needed): answered by the relay
// through `monitor kdive`, agreeing with kdive and with each other at one stop.
TEST_F(KernelAwareness, KdivesLxInGdbAgree) {
    if (find_program("gdb").empty()) {
        KDIVE_MISSING_PREREQUISITE() << "gdb is not installed";
    }
    auto ours = guest_->json("ps --json");
    // The running task's per-CPU home: pcpu_hot.current_task from 6.2 to 6.14, current_task
    // before and after.
    const bool hot = guest_->attempt("p sizeof(pcpu_hot)").has_value();
    const std::string home = hot ? "pcpu_hot" : "current_task";
    const std::string member = hot ? ".current_task" : "";
    ASSERT_TRUE(cli::write_lx_script(guest_->vm->session()));
    guest_->release();
    RunOptions options;
    options.timeout = std::chrono::minutes(5);
    auto gdb = run_process(
        gdb_batch({guest_->info_path.string(),
                   "-ex",
                   std::string("target remote | ") + KDIVE_BINARY + " relay " +
                       guest_->vm->session().gdb + " --vmlinux " + guest_->info_path.string(),
                   "-ex",
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
                   "info registers rip",
                   "-ex",
                   "lx-symbols",
                   "-ex",
                   "p dummy_get_stats64",
                   "-ex",
                   "detach"}),
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
    std::smatch placed;
    ASSERT_TRUE(std::regex_search(gdb->out, placed,
                                  std::regex(R"(\$7 = .* (0x[0-9a-f]+) <dummy_get_stats64>)")))
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

// lx-interruptlist's numbered rows: "  1:   9   0  IO-APIC   1-edge      i8042", one count per
// online CPU, the hwirq only where the IRQ has a domain, and the first action only (the script
// stops after it).
struct LxIrq {
    std::vector<std::uint64_t> counts;
    std::string chip;
    std::string flow;
    std::string action;
};
std::map<unsigned, LxIrq> parse_lx_interruptlist(const std::string& text, std::size_t cpus) {
    std::map<unsigned, LxIrq> out;
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
        std::istringstream words(line);
        std::string number;
        words >> number;
        if (number.size() < 2 || !number.ends_with(':') ||
            !std::all_of(number.begin(), number.end() - 1,
                         [](unsigned char c) { return std::isdigit(c) != 0; })) {
            continue; // the CPU header and the arch's NMI, LOC, ... rows
        }
        LxIrq irq;
        irq.counts.resize(cpus);
        for (auto& count : irq.counts) {
            words >> count;
        }
        std::string hwirq_flow;
        words >> irq.chip >> hwirq_flow;
        const auto dash = hwirq_flow.find('-');
        irq.flow = dash == std::string::npos ? std::string() : hwirq_flow.substr(dash + 1);
        std::getline(words >> std::ws, irq.action);
        out[std::stoul(number)] = irq;
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

void expect_lx_interruptlist_agrees(const Json& irqs, const std::string& text) {
    const std::size_t cpus = irqs.empty() ? 0 : irqs.front()["counts"].size();
    const auto theirs = parse_lx_interruptlist(text, cpus);
    ASSERT_GE(theirs.size(), 3u) << "lx-interruptlist printed:\n" << text;
    EXPECT_EQ(theirs.size(), irqs.size()) << text;
    for (const auto& irq : irqs) {
        const unsigned number = irq["irq"].get<unsigned>();
        auto found = theirs.find(number);
        if (found == theirs.end()) {
            ADD_FAILURE() << "IRQ " << number << " is not in lx-interruptlist:\n" << text;
            continue;
        }
        EXPECT_EQ(found->second.chip, irq["chip"].get<std::string>()) << number;
        EXPECT_EQ(found->second.flow, irq["flow"].get<std::string>()) << number;
        const auto& actions = irq["actions"];
        EXPECT_EQ(found->second.action, actions.empty() ? "" : actions[0].get<std::string>())
            << number;
        for (std::size_t cpu = 0; cpu < cpus; ++cpu) {
            EXPECT_GE(found->second.counts[cpu], irq["counts"][cpu].get<std::uint64_t>())
                << "IRQ " << number << " CPU " << cpu;
        }
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

// The kernel's own lx-slabinfo, lx-interruptlist, lx-timerlist and lx-mounts in one GDB run,
// against kdive's kmem -s, irq, timer and mounts taken right before; the guest runs between
// the two, so what may change in that moment (object and IRQ counts, short timers) is not
// compared. A command this kernel's scripts lack, or one they have but that fails on this
// kernel's structures, is printed and left out; one that answers must agree.
TEST_F(KernelAwareness, LxScriptsAgree) {
    if (find_program("gdb").empty()) {
        KDIVE_MISSING_PREREQUISITE() << "gdb is not installed";
    }
    RunOptions options;
    options.timeout = std::chrono::minutes(15);
    auto scripts = run_process({KDIVE_BINARY, "kernel", "gdb-scripts", test_kernel()}, options);
    ASSERT_TRUE(scripts) << scripts.error().message;
    if (scripts->exit_code != 0 &&
        scripts->err.find("no Debian linux-source package") != std::string::npos) {
        GTEST_SKIP() << "no lx-scripts for " << test_kernel() << ": " << scripts->err;
    }
    if (scripts->exit_code != 0) {
        KDIVE_MISSING_PREREQUISITE()
            << "no lx-scripts for " << test_kernel() << ": " << scripts->err;
    }
    std::string script = scripts->out;
    while (!script.empty() && script.back() == '\n') {
        script.pop_back();
    }
    script = script.substr(script.rfind('\n') + 1);

    const std::vector<std::pair<std::string, std::string>> pairs{{"lx-slabinfo", "kmem -s --json"},
                                                                 {"lx-interruptlist", "irq --json"},
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
    auto gdb = run_process(gdb_batch({guest_->info_path.string(), "-ex", "source " + script, "-ex",
                                      std::string("target remote | ") + KDIVE_BINARY + " relay " +
                                          guest_->vm->session().gdb,
                                      "-ex", "source " + driver.string(), "-ex", "detach"}),
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
        } else if (lx == "lx-interruptlist") {
            expect_lx_interruptlist_agrees(ours[lx], answer.text);
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
