// Vmcores against the live VM they were taken from: for one stopped guest, kdive's answers over
// the gdbstub, with its RAM mapped directly, and from an ELF dump and every kdump-compressed
// format of it must be the same bytes. Then dumps that lie, and drgn on the same dumps.
#include "gdb_reference.hpp"
#include "lab/boot_kernel.hpp"
#include "lab/qmp_client.hpp"
#include "prerequisite.hpp"
#include "support/atomic_file.hpp"
#include "support/subprocess.hpp"
#include "test_vm.hpp"
#include "vmcore_checks.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <iostream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

namespace kdive::testing {
namespace {

namespace fs = std::filesystem;

constexpr int marked_sleeps = 40;

bool arm64_guest() {
    return test_kernel().ends_with("-arm64");
}

// The questions every memory source answers alike, for the guest's architecture.
const std::vector<std::string>& asked() {
    return arm64_guest() ? arm64_questions : questions;
}

// Where `vtop ADDRESS --json` from `where` says ADDRESS is, physically.
Result<std::string> physical_of(const std::string& where, std::string_view address,
                                const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args{"attach", where, "--batch"};
    args.insert(args.end(), extra.begin(), extra.end());
    args.insert(args.end(), {"-ex", fmt::format("vtop {} --json", address)});
    auto run = kdive(args);
    if (!run) {
        return std::unexpected(run.error());
    }
    auto json = nlohmann::json::parse(run->out, nullptr, false);
    if (run->exit_code != 0 || !json.is_object() || !json["physical"].is_string()) {
        return fail("vtop {} on {}: {}{}", address, where, run->out, run->err);
    }
    return json["physical"].get<std::string>();
}

std::string tasks_script() {
    return fmt::format("#!/bin/sh\ni=0\nwhile [ $i -lt {} ]; do sleep 1000 & i=$((i+1)); done\n"
                       "echo KDIVE-VMCORE-READY\n",
                       marked_sleeps);
}

fs::path find_module(const fs::path& kernel_dir, std::string_view stem) {
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(kernel_dir / "modules", ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (it->path().filename().string().starts_with(std::string(stem) + ".ko")) {
            return it->path();
        }
    }
    return {};
}

// A copy of a QEMU ELF dump with the notes the kernel's kdump writes: the QEMU CPU-state notes
// renamed away and each NT_PRSTATUS's fs_base/gs_base zeroed.
Result<> as_kdump_would_write(const fs::path& from, const fs::path& to) {
    std::error_code ec;
    fs::copy_file(from, to, ec);
    if (ec) {
        return fail("copying {}: {}", from.string(), ec.message());
    }
    fs::permissions(to, fs::perms::owner_read | fs::perms::owner_write, ec);
    std::fstream file(to, std::ios::in | std::ios::out | std::ios::binary);
    std::string head(1 << 20, '\0');
    file.read(head.data(), static_cast<std::streamsize>(head.size()));
    head.resize(static_cast<std::size_t>(file.gcount()));
    int renamed = 0;
    int cleared = 0;
    for (auto at = head.find(std::string_view("QEMU\0", 5)); at != std::string::npos;
         at = head.find(std::string_view("QEMU\0", 5), at + 1)) {
        head.replace(at, 4, "XEMU");
        ++renamed;
    }
    // An NT_PRSTATUS note: namesz 5, descsz 336, type 1, "CORE\0\0\0\0", then the desc whose
    // pr_reg (at 112) holds fs_base and gs_base as registers 21 and 22.
    const std::string prstatus_header("\x05\0\0\0\x50\x01\0\0\x01\0\0\0CORE\0\0\0\0", 20);
    for (auto at = head.find(prstatus_header); at != std::string::npos;
         at = head.find(prstatus_header, at + 1)) {
        const std::size_t bases = at + prstatus_header.size() + 112 + 21 * 8;
        if (bases + 16 <= head.size()) {
            std::fill_n(head.begin() + static_cast<std::ptrdiff_t>(bases), 16, '\0');
            ++cleared;
        }
    }
    if (renamed == 0 || cleared == 0) {
        return fail("{}: found {} QEMU notes and {} NT_PRSTATUS notes", from.string(), renamed,
                    cleared);
    }
    file.seekp(0);
    file.write(head.data(), static_cast<std::streamsize>(head.size()));
    return file ? Result<>{} : fail("writing {}", to.string());
}

// Another kernel's vmlinux: the mismatch is reported, not wrong answers.
void expect_other_vmlinux_reported(const fs::path& dump_file) {
    const std::string other_name =
        test_kernel() == "debian-5.10-cloud" ? "debian-6.1-cloud" : "debian-5.10-cloud";
    auto other = lab::resolve_boot_kernel(other_name);
    if (!other) {
        std::cout << other_name << " is not fetched: the mismatch check is left out\n";
        return;
    }
    auto run = kdive({"attach", dump_file.string(), "--vmlinux", other->vmlinux.string(), "--batch",
                      "-ex", "ps"});
    ASSERT_TRUE(run) << run.error().message;
    EXPECT_NE(run->exit_code, 0);
    EXPECT_NE(run->err.find("does not match"), std::string::npos) << run->err;
}

// drgn's slab_object_info for the objects around pid 1's task_struct (two dozen strides: its
// slab and its neighbours) against kmem ADDR on the same dump: the same cache, object start
// and allocated-or-free for each. drgn 0.0.22 predates page types (6.10+), where it says why.
void expect_same_slab_objects(const fs::path& dump, const nlohmann::json& objects) {
    if (!objects.is_array()) {
        std::cout << "drgn's slab_object_info fails on " << dump.filename().string() << ": "
                  << objects << "\n";
        return;
    }
    std::vector<std::string> args{"attach", dump.string(), "--batch"};
    for (const auto& object : objects) {
        args.insert(args.end(), {"-ex", "kmem " + object[0].get<std::string>() + " --json"});
    }
    auto answers = kdive(args);
    ASSERT_TRUE(answers && answers->exit_code == 0) << (answers ? answers->err : "");
    std::istringstream lines(answers->out);
    int free = 0;
    for (const auto& object : objects) {
        std::string line;
        std::getline(lines, line);
        auto mine = nlohmann::json::parse(line, nullptr, false);
        ASSERT_TRUE(mine.is_object()) << line;
        if (object.size() == 1) {
            EXPECT_NE(mine["kind"], "slab") << mine;
            continue;
        }
        EXPECT_EQ(mine["cache_name"], object[1]) << mine;
        if (!mine.contains("object")) {
            // Past the slab's last object: drgn 0.0.22 does not check the object count and
            // names an object there; kdive calls it padding.
            EXPECT_GE(mine["index"].get<std::uint64_t>(), mine["objects"].get<std::uint64_t>());
            continue;
        }
        EXPECT_EQ(mine["object"], object[2]) << mine;
        EXPECT_EQ(mine["allocated"], object[3]) << mine;
        free += object[3] == false ? 1 : 0;
    }
    std::cout << objects.size() << " addresses agree with drgn's slab_object_info (" << free
              << " free objects)\n";
}

// drgn (Debian's 0.0.22) on the same dumps: where it reads them, its tasks, printk records,
// modules and init's open files equal kdive's. Where it cannot, its error is printed and kdive
// still answers.
void expect_drgn_agrees(const std::vector<fs::path>& dumps, const fs::path& vmlinux,
                        const fs::path& folder) {
    auto probe = run_process({"/usr/bin/python3", "-c", "import drgn"});
    if (!probe || probe->exit_code != 0) {
        ADD_FAILURE() << "python3-drgn is not installed under /usr/bin/python3";
        return;
    }
    const fs::path script = folder / "facts.py";
    ASSERT_TRUE(write_file_atomically(
        script, "import json\n"
                "from drgn.helpers.linux.pid import for_each_task\n"
                "from drgn.helpers.linux.list import list_for_each_entry\n"
                "from drgn.helpers.linux.printk import get_printk_records\n"
                "tasks = sorted([t.pid.value_(), t.comm.string_().decode('utf-8', 'replace')]"
                " for t in for_each_task(prog))\n"
                "mods = sorted(m.name.string_().decode() for m in list_for_each_entry("
                "'struct module', prog['modules'].address_of_(), 'list'))\n"
                "from drgn.helpers.linux.pid import find_task\n"
                "from drgn.helpers.linux.slab import slab_object_info\n"
                "def objects():\n"
                "    try:\n"
                "        first = slab_object_info(prog, find_task(prog, 1).value_())\n"
                "        size = first.slab_cache.size.value_()\n"
                "        out = []\n"
                "        for i in range(-12, 12):\n"
                "            at = first.address + i * size\n"
                "            o = slab_object_info(prog, at)\n"
                "            out.append([hex(at)] + ([o.slab_cache.name.string_().decode(),"
                " hex(o.address), o.allocated] if o else []))\n"
                "        return out\n"
                "    except Exception as e:\n"
                "        return repr(e)\n"
                "from drgn.helpers.linux.fs import for_each_file, d_path\n"
                "files = [[fd, d_path(f.f_path).decode('utf-8', 'replace')]"
                " for fd, f in for_each_file(find_task(prog, 1))]\n"
                "print(json.dumps({'tasks': tasks, 'records': len(get_printk_records(prog)),"
                " 'modules': mods, 'objects': objects(), 'files': files}))\n"));
    int drgn_read = 0;
    for (const auto& file : dumps) {
        auto kdive_answers =
            kdive({"attach", file.string(), "--batch", "-ex", "ps --json", "-ex", "dmesg --json",
                   "-ex", "lsmod --json", "-ex", "files 1 --json"});
        ASSERT_TRUE(kdive_answers && kdive_answers->exit_code == 0);
        RunOptions options;
        options.timeout = std::chrono::minutes(3);
        auto drgn = run_process({"/usr/bin/python3", "-m", "drgn", "-q", "-c", file.string(), "-s",
                                 vmlinux.string(), script.string()},
                                options);
        ASSERT_TRUE(drgn) << drgn.error().message;
        if (drgn->exit_code != 0) {
            std::cout << "drgn cannot read " << file.filename().string() << ": "
                      << drgn->err.substr(drgn->err.size() > 300 ? drgn->err.size() - 300 : 0)
                      << "\n";
            continue;
        }
        ++drgn_read;
        auto facts = nlohmann::json::parse(drgn->out, nullptr, false);
        ASSERT_TRUE(facts.is_object()) << drgn->out;
        std::istringstream lines(kdive_answers->out);
        std::string ps_line, dmesg_line, lsmod_line, files_line;
        std::getline(lines, ps_line);
        std::getline(lines, dmesg_line);
        std::getline(lines, lsmod_line);
        std::getline(lines, files_line);
        std::vector<std::pair<int, std::string>> kdive_tasks;
        for (const auto& task : nlohmann::json::parse(ps_line)) {
            if (task["pid"].get<int>() != 0) { // drgn's for_each_task skips the idle tasks
                kdive_tasks.emplace_back(task["pid"].get<int>(), task["comm"].get<std::string>());
            }
        }
        std::ranges::sort(kdive_tasks);
        std::vector<std::pair<int, std::string>> drgn_tasks;
        for (const auto& task : facts["tasks"]) {
            if (task[0].get<int>() != 0) {
                drgn_tasks.emplace_back(task[0].get<int>(), task[1].get<std::string>());
            }
        }
        EXPECT_EQ(kdive_tasks, drgn_tasks) << file.filename().string();
        EXPECT_EQ(nlohmann::json::parse(dmesg_line).size(), facts["records"].get<std::size_t>());
        std::vector<std::string> kdive_modules;
        for (const auto& module : nlohmann::json::parse(lsmod_line)) {
            kdive_modules.push_back(module["name"].get<std::string>());
        }
        std::ranges::sort(kdive_modules);
        EXPECT_EQ(kdive_modules, facts["modules"].get<std::vector<std::string>>());
        expect_same_slab_objects(file, facts["objects"]);
        // init's open files: drgn's for_each_file and d_path against kdive's files 1.
        std::vector<std::pair<int, std::string>> kdive_files;
        for (const auto& open : nlohmann::json::parse(files_line)) {
            kdive_files.emplace_back(open["fd"].get<int>(), open["path"].get<std::string>());
        }
        std::vector<std::pair<int, std::string>> drgn_files;
        for (const auto& open : facts["files"]) {
            drgn_files.emplace_back(open[0].get<int>(), open[1].get<std::string>());
        }
        EXPECT_EQ(kdive_files, drgn_files) << file.filename().string();
    }
    std::cout << "drgn read " << drgn_read << " of " << dumps.size() << " dumps\n";
}

// A 512 MiB guest with a few dozen marked sleeps, dummy.ko, and qemu_fw_cfg so dumps carry
// VMCOREINFO.
// GDB on a dump through `kdive serve`: every task a thread, a sleeping one's bt reaching
// schedule() by GDB's own unwinder (with KASLR too: qOffsets moves the plain vmlinux), and the
// dump served read-only.
void expect_gdb_serves_dump(const fs::path& file, const fs::path& vmlinux) {
    if (arm64_guest()) {
        std::cout << "kdive serve is left out on arm64: its target description and register "
                     "packets are x86-64's\n";
        return;
    }
    if (find_program(test_gdb()).empty()) {
        KDIVE_MISSING_PREREQUISITE() << "gdb is not installed";
    }
    RunOptions options;
    options.timeout = std::chrono::minutes(5);
    auto gdb = run_process(
        gdb_batch({vmlinux.string(), "-ex",
                   std::string("target remote | ") + KDIVE_BINARY + " serve " + file.string() +
                       " --stdio",
                   "-ex", "info threads", "-ex",
                   "python [t.switch() for t in gdb.selected_inferior().threads() if t.name == "
                   "'sleep']",
                   "-ex", "bt", "-ex", "continue", "-ex", "detach"}),
        options);
    ASSERT_TRUE(gdb) << gdb.error().message;
    const std::regex thread(R"re(\n\*?\s+\d+\s+Thread \d+ "[^"]*" \()re");
    const auto threads = std::distance(
        std::sregex_iterator(gdb->out.begin(), gdb->out.end(), thread), std::sregex_iterator());
    EXPECT_GT(threads, 20) << gdb->out << gdb->err;
    EXPECT_NE(gdb->out.find("Thread 1 \"init\""), std::string::npos) << gdb->out;
    // "#2  0x... in schedule () at ...", or "#1  schedule () at ..." for a frame GDB shows
    // without its pc (inlined, or at the start of a line).
    EXPECT_TRUE(
        std::regex_search(gdb->out, std::regex(R"re(\n#\d+\s+(0x[0-9a-f]+ in )?schedule \()re")))
        << gdb->out << gdb->err;
    EXPECT_NE(gdb->err.find("is served read-only: it cannot run or step"), std::string::npos)
        << gdb->err;
}

class Vmcore : public ::testing::Test {
protected:
    void SetUp() override {
        auto kernel = lab::resolve_boot_kernel(test_kernel());
        if (!kernel) {
            KDIVE_MISSING_PREREQUISITE() << test_kernel() << ": " << kernel.error().message;
        }
        vmlinux_ = kernel->vmlinux;
        work_ = std::make_unique<TempDir>("vmcore");
        const auto script = work_->path() / "tasks.sh";
        const auto rootfs = work_->path() / "rootfs.cpio.gz";
        ASSERT_TRUE(write_file_atomically(script, tasks_script()));
        std::vector<std::string> args{"rootfs", "-o", rootfs.string(), "--init-script",
                                      script.string()};
        for (std::string_view module : {"dummy", "qemu_fw_cfg"}) {
            if (auto path = find_module(vmlinux_.parent_path(), module); !path.empty()) {
                args.insert(args.end(), {"--module", path.string()});
            }
        }
        auto built = run_kdive(args);
        ASSERT_TRUE(built) << built.error().message;
        rootfs_ = rootfs;
        // Without qemu_fw_cfg the kernel never tells QEMU where VMCOREINFO is.
        bare_rootfs_ = work_->path() / "bare.cpio.gz";
        std::vector<std::string> bare_args{"rootfs", "-o", bare_rootfs_.string(), "--init-script",
                                           script.string()};
        if (arm64_guest()) {
            // Without a module to take it from, the busybox would be the host's.
            bare_args.insert(bare_args.end(), {"--arch", "arm64"});
        }
        auto bare = run_kdive(bare_args);
        ASSERT_TRUE(bare) << bare.error().message;
    }

    Result<TestVm> boot(std::vector<std::string> extra, bool vmcoreinfo = true) {
        extra.insert(extra.end(), {"--smp", "2", "--mem", "512", "--initrd",
                                   (vmcoreinfo ? rootfs_ : bare_rootfs_).string()});
        auto vm = TestVm::boot(test_kernel(), extra);
        if (!vm) {
            return std::unexpected(vm.error());
        }
        if (auto ok = vm->wait_for("KDIVE-VMCORE-READY"); !ok) {
            return std::unexpected(ok.error());
        }
        return vm;
    }

    fs::path vmlinux_;
    fs::path rootfs_;
    fs::path bare_rootfs_;
    std::unique_ptr<TempDir> work_;
};

TEST_F(Vmcore, EveryMemorySourceGivesTheSameAnswers) {
    auto vm = boot({});
    ASSERT_TRUE(vm) << vm.error().message;
    const auto& session = vm->session();

    // Dumps first, then the stub's answers of the same stopped moment (attach reads before its
    // detach lets the guest run).
    ASSERT_TRUE(pause_guest(session));
    std::vector<fs::path> dumps;
    for (const std::string format :
         {"elf", "kdump-zlib", "kdump-lzo", "kdump-snappy", "kdump-zstd"}) {
        auto file = dump(session, work_->path(), format);
        ASSERT_TRUE(file) << file.error().message;
        dumps.push_back(*file);
    }
    // An existing dump compressed by `kdive dump VMCORE`, as makedumpfile would.
    dumps.push_back(work_->path() / "compressed.kdump-zstd");
    auto compressed = kdive(
        {"dump", dumps.front().string(), "-o", dumps.back().string(), "--format", "kdump-zstd"});
    ASSERT_TRUE(compressed && compressed->exit_code == 0)
        << (compressed ? compressed->err : compressed.error().message);
    auto as_elf = kdive(
        {"dump", dumps.front().string(), "-o", (work_->path() / "x").string(), "--format", "elf"});
    ASSERT_TRUE(as_elf);
    EXPECT_NE(as_elf->exit_code, 0);
    EXPECT_NE(as_elf->err.find("--format elf"), std::string::npos) << as_elf->err;
    EXPECT_FALSE(fs::exists(work_->path() / "x"));
    // As the kernel's own /proc/vmcore would be: no QEMU CPU-state notes, and NT_PRSTATUS
    // without segment bases (pt_regs have none). QEMU's arm64 dumps are that already: NT_PRSTATUS
    // (user_pt_regs) and NT_FPREGSET per CPU, nothing else.
    if (arm64_guest()) {
        std::cout << "no kdump-style copy on arm64: QEMU's arm64 ELF dump holds only the notes "
                     "kdump writes\n";
    } else {
        dumps.push_back(work_->path() / "kdump-style.elf");
        ASSERT_TRUE(as_kdump_would_write(dumps.front(), dumps.back()));
    }
    auto stub = answers(session.dir.string(), {"--memory", "stub"}, asked());
    ASSERT_TRUE(stub) << stub.error().message;
    auto parsed = nlohmann::json::parse(stub->substr(0, stub->find('\n')), nullptr, false);
    ASSERT_TRUE(parsed.is_array()) << *stub;
    EXPECT_GT(parsed.size(), static_cast<std::size_t>(marked_sleeps));
    auto stub_banner = physical_of(session.dir.string(), "linux_banner", {"--memory", "stub"});
    ASSERT_TRUE(stub_banner) << stub_banner.error().message;
    for (const auto& file : dumps) {
        auto from_dump = answers(file.string(), {}, asked());
        ASSERT_TRUE(from_dump) << from_dump.error().message;
        EXPECT_EQ(first_difference(*from_dump, *stub, asked()), "") << file.filename().string();
        // The dump's tables against the vCPU's: a CPU's CR3, or where a dump as kdump writes it
        // holds none, the kernel's own from VMCOREINFO.
        auto banner = physical_of(file.string(), "linux_banner");
        ASSERT_TRUE(banner) << file.filename().string() << ": " << banner.error().message;
        EXPECT_EQ(*banner, *stub_banner) << file.filename().string();
    }

    // Direct memory at a second stopped moment, against a dump of that moment.
    ASSERT_TRUE(pause_guest(session));
    fs::create_directory(work_->path() / "second");
    auto second = dump(session, work_->path() / "second", "elf");
    ASSERT_TRUE(second) << second.error().message;
    auto direct = answers(session.dir.string(), {"--memory", "direct"}, asked());
    ASSERT_TRUE(direct) << direct.error().message;
    auto from_second = answers(second->string(), {}, asked());
    ASSERT_TRUE(from_second) << from_second.error().message;
    EXPECT_EQ(first_difference(*direct, *from_second, asked()), "");

    // As for a VM kdive did not launch: the stub's endpoint and QEMU's QMP socket, RAM read from
    // the QEMU process; the greeting says so.
    auto greeted = kdive({"attach", session.gdb, "--qmp", session.qmp.string(), "--memory",
                          "direct", "-ex", "detach"});
    ASSERT_TRUE(greeted) << greeted.error().message;
    EXPECT_NE(greeted->out.find("process_vm_readv"), std::string::npos) << greeted->out;
    // A batch says it through `info target`.
    auto described = kdive({"attach", session.dir.string(), "--batch", "-ex", "info target"});
    ASSERT_TRUE(described) << described.error().message;
    EXPECT_NE(described->out.find("memory: guest RAM read directly, mapped from QEMU's memfd"),
              std::string::npos)
        << described->out;
    ASSERT_TRUE(pause_guest(session));
    fs::create_directory(work_->path() / "third");
    auto third = dump(session, work_->path() / "third", "elf");
    ASSERT_TRUE(third) << third.error().message;
    auto through_qemu = answers(
        session.gdb,
        {"--vmlinux", vmlinux_.string(), "--qmp", session.qmp.string(), "--memory", "direct"},
        asked());
    ASSERT_TRUE(through_qemu) << through_qemu.error().message;
    auto from_third = answers(third->string(), {}, asked());
    ASSERT_TRUE(from_third) << from_third.error().message;
    EXPECT_EQ(first_difference(*through_qemu, *from_third, asked()), "");

    // The dump carries VMCOREINFO (the vmcoreinfo device and qemu_fw_cfg) and says so.
    auto greeting = kdive({"attach", dumps[0].string(), "-ex", "cpus"});
    ASSERT_TRUE(greeting) << greeting.error().message;
    EXPECT_NE(greeting->out.find("Opened "), std::string::npos) << greeting->out;
    EXPECT_EQ(greeting->out.find("no VMCOREINFO"), std::string::npos) << greeting->out;
    auto target = kdive({"attach", dumps[1].string(), "--batch", "-ex", "info target"});
    ASSERT_TRUE(target) << target.error().message;
    EXPECT_NE(target->out.find("core file"), std::string::npos) << target->out;
    EXPECT_NE(target->out.find("kdump (flattened), zlib pages"), std::string::npos) << target->out;
    EXPECT_NE(target->out.find(arm64_guest() ? "2 arm64 CPUs" : "2 x86-64 CPUs"), std::string::npos)
        << target->out;
    // Run control says what the target is.
    auto resume = kdive({"attach", dumps[0].string(), "--batch", "-ex", "continue"});
    ASSERT_TRUE(resume) << resume.error().message;
    EXPECT_NE(resume->exit_code, 0);
    EXPECT_NE(resume->err.find("core file"), std::string::npos) << resume->err;

    // Dumps that lie or are cut: errors naming what is wrong, never a crash or a hang.
    const fs::path cut = work_->path() / "cut.elf";
    fs::copy_file(dumps[0], cut);
    fs::resize_file(cut, fs::file_size(cut) / 2);
    auto truncated = kdive({"attach", cut.string(), "--batch", "-ex", "ps"});
    ASSERT_TRUE(truncated) << truncated.error().message;
    EXPECT_EQ(truncated->exit_code, 1) << truncated->err;
    EXPECT_NE(truncated->err.find("past the end"), std::string::npos) << truncated->err;
    const fs::path cut_kdump = work_->path() / "cut.kdump";
    fs::copy_file(dumps[1], cut_kdump);
    fs::resize_file(cut_kdump, fs::file_size(cut_kdump) / 3);
    auto truncated_kdump =
        kdive({"attach", cut_kdump.string(), "--batch", "-ex", "ps", "-ex", "dmesg"});
    ASSERT_TRUE(truncated_kdump) << truncated_kdump.error().message;
    EXPECT_NE(truncated_kdump->exit_code, 0);
    EXPECT_NE(truncated_kdump->exit_code, -1) << "killed by a signal";
    EXPECT_FALSE(truncated_kdump->err.empty());

    expect_other_vmlinux_reported(dumps[1]);
    expect_drgn_agrees(dumps, vmlinux_, work_->path());
    expect_gdb_serves_dump(dumps[1], vmlinux_);
}

// KASLR and 5-level paging: the dump's page tables and the load offset are found as live.
// Nor any VMCOREINFO: the kernel, its page tables and the load offset come from the dump's
// memory and registers alone. QEMU's paging dump (virtual mappings) too.
TEST_F(Vmcore, KaslrAndFiveLevelDumpsAnswerAsLive) {
    if (arm64_guest()) {
        GTEST_SKIP() << "x86-64 only: la57 is an x86-64 CPU flag (arm64's KASLR dumps: "
                        "Arm64KaslrDumpsAnswerAsLive; its paging dump and its dump without "
                        "VMCOREINFO: Arm64PagingDumpAnswersAsLiveAndNoVmcoreinfoSaysWhy)";
    }
    auto vm = boot({"--kaslr", "--cpu", "qemu64,+la57"}, false);
    ASSERT_TRUE(vm) << vm.error().message;
    ASSERT_TRUE(pause_guest(vm->session()));
    auto elf = dump(vm->session(), work_->path(), "elf");
    ASSERT_TRUE(elf) << elf.error().message;
    auto kdump = dump(vm->session(), work_->path(), "kdump-zlib");
    ASSERT_TRUE(kdump) << kdump.error().message;
    fs::create_directory(work_->path() / "paging");
    auto paging = dump(vm->session(), work_->path() / "paging", "elf", {"--paging"});
    ASSERT_TRUE(paging) << paging.error().message;
    auto stub = answers(vm->session().dir.string(), {"--memory", "stub"});
    ASSERT_TRUE(stub) << stub.error().message;
    auto greeting = kdive({"attach", elf->string(), "-ex", "quit"});
    ASSERT_TRUE(greeting) << greeting.error().message;
    EXPECT_NE(greeting->out.find("no VMCOREINFO"), std::string::npos) << greeting->out;
    for (const auto& file : {*elf, *kdump, *paging}) {
        auto from_dump = answers(file.string());
        ASSERT_TRUE(from_dump) << from_dump.error().message;
        EXPECT_EQ(first_difference(*from_dump, *stub), "") << file.filename().string();
    }
    auto version = kdive({"attach", elf->string(), "--batch", "-ex", "version --json"});
    ASSERT_TRUE(version) << version.error().message;
    auto json = nlohmann::json::parse(version->out, nullptr, false);
    ASSERT_TRUE(json.is_object()) << version->out << version->err;
    EXPECT_TRUE(json["matches"].get<bool>());
    EXPECT_NE(json["kaslr_offset"], "0x0");
    expect_gdb_serves_dump(*kdump, vmlinux_);
}

// arm64 with KASLR: QEMU's arm64 notes carry no VBAR_EL1, so a dump's VMCOREINFO places the
// image (KERNELOFFSET), and the dumps answer as the live stub, which found it by VBAR_EL1.
TEST_F(Vmcore, Arm64KaslrDumpsAnswerAsLive) {
    if (!arm64_guest()) {
        GTEST_SKIP() << "arm64 only: x86-64's KASLR dumps are KaslrAndFiveLevelDumpsAnswerAsLive";
    }
    auto vm = boot({"--kaslr"});
    ASSERT_TRUE(vm) << vm.error().message;
    ASSERT_TRUE(pause_guest(vm->session()));
    auto elf = dump(vm->session(), work_->path(), "elf");
    ASSERT_TRUE(elf) << elf.error().message;
    auto kdump = dump(vm->session(), work_->path(), "kdump-zlib");
    ASSERT_TRUE(kdump) << kdump.error().message;
    auto stub = answers(vm->session().dir.string(), {"--memory", "stub"}, asked());
    ASSERT_TRUE(stub) << stub.error().message;
    for (const auto& file : {*elf, *kdump}) {
        auto from_dump = answers(file.string(), {}, asked());
        ASSERT_TRUE(from_dump) << from_dump.error().message;
        EXPECT_EQ(first_difference(*from_dump, *stub, asked()), "") << file.filename().string();
    }
    auto live = kdive({"attach", vm->session().dir.string(), "--batch", "-ex", "version"});
    ASSERT_TRUE(live) << live.error().message;
    EXPECT_NE(live->out.find("found by: VBAR_EL1"), std::string::npos) << live->out;
    for (const auto& file : {*elf, *kdump}) {
        auto version =
            kdive({"attach", file.string(), "--batch", "-ex", "version", "-ex", "version --json"});
        ASSERT_TRUE(version) << version.error().message;
        EXPECT_NE(version->out.find("found by: VMCOREINFO"), std::string::npos) << version->out;
        auto json =
            nlohmann::json::parse(version->out.substr(version->out.find('{')), nullptr, false);
        ASSERT_TRUE(json.is_object()) << version->out << version->err;
        EXPECT_TRUE(json["matches"].get<bool>());
        EXPECT_NE(json["kaslr_offset"], "0x0");
    }
}

// arm64: QEMU's paging dump (a segment per virtual mapping) answers as live; a dump without
// VMCOREINFO (no qemu_fw_cfg) cannot be read, as QEMU's arm64 notes hold no TTBR1_EL1, and the
// error says so.
TEST_F(Vmcore, Arm64PagingDumpAnswersAsLiveAndNoVmcoreinfoSaysWhy) {
    if (!arm64_guest()) {
        GTEST_SKIP() << "arm64 only: x86-64's paging dump and its dump without VMCOREINFO are "
                        "KaslrAndFiveLevelDumpsAnswerAsLive";
    }
    {
        auto vm = boot({});
        ASSERT_TRUE(vm) << vm.error().message;
        ASSERT_TRUE(pause_guest(vm->session()));
        auto paging = dump(vm->session(), work_->path(), "elf", {"--paging"});
        ASSERT_TRUE(paging) << paging.error().message;
        auto stub = answers(vm->session().dir.string(), {"--memory", "stub"}, core_questions);
        ASSERT_TRUE(stub) << stub.error().message;
        auto from_dump = answers(paging->string(), {}, core_questions);
        ASSERT_TRUE(from_dump) << from_dump.error().message;
        EXPECT_EQ(first_difference(*from_dump, *stub, core_questions), "");
    }
    auto bare = boot({}, false);
    ASSERT_TRUE(bare) << bare.error().message;
    fs::create_directory(work_->path() / "bare");
    auto elf = dump(bare->session(), work_->path() / "bare", "elf");
    ASSERT_TRUE(elf) << elf.error().message;
    auto run =
        kdive({"attach", elf->string(), "--vmlinux", vmlinux_.string(), "--batch", "-ex", "ps"});
    ASSERT_TRUE(run) << run.error().message;
    EXPECT_EQ(run->exit_code, 1) << run->err;
    EXPECT_NE(run->err.find("without VMCOREINFO's SYMBOL(swapper_pg_dir)"), std::string::npos)
        << run->err;
}

// A kernel that panicked (sysrq's crash, panic=0 so it stays down): the dump names the CPU that
// ran panic(), and that CPU's stack leads from panic() back to the sysrq write.
TEST_F(Vmcore, PanickedKernelNamesItsCpuAndStack) {
    const auto script = work_->path() / "crash.sh";
    ASSERT_TRUE(write_file_atomically(script, "#!/bin/sh\necho KDIVE-VMCORE-READY\nsleep 1\n"
                                              "echo c > /proc/sysrq-trigger\n"));
    const auto rootfs = work_->path() / "crash.cpio.gz";
    std::vector<std::string> args{"rootfs", "-o", rootfs.string(), "--init-script",
                                  script.string()};
    if (auto path = find_module(vmlinux_.parent_path(), "qemu_fw_cfg"); !path.empty()) {
        args.insert(args.end(), {"--module", path.string()});
    }
    ASSERT_TRUE(run_kdive(args));
    auto vm = TestVm::boot(test_kernel(), {"--smp", "2", "--mem", "512", "--initrd",
                                           rootfs.string(), "--append", "panic=0"});
    ASSERT_TRUE(vm) << vm.error().message;
    ASSERT_TRUE(vm->wait_for("Kernel panic"));
    auto file = dump(vm->session(), work_->path(), "kdump-zlib");
    ASSERT_TRUE(file) << file.error().message;
    auto run = kdive({"attach", file->string(), "--batch", "-ex", "cpus --json", "-ex", "bt -a"});
    ASSERT_TRUE(run) << run.error().message;
    ASSERT_EQ(run->exit_code, 0) << run->err;
    std::istringstream lines(run->out);
    std::string cpus_line;
    std::getline(lines, cpus_line);
    auto cpus = nlohmann::json::parse(cpus_line, nullptr, false);
    ASSERT_TRUE(cpus.is_object()) << run->out;
    ASSERT_TRUE(cpus["panic_cpu"].is_number()) << cpus_line;
    const int panic_cpu = cpus["panic_cpu"].get<int>();
    EXPECT_TRUE(cpus["cpus"][panic_cpu]["panicked"].get<bool>());
    auto sys = kdive({"attach", file->string(), "--batch", "-ex", "sys --json"});
    ASSERT_TRUE(sys && sys->exit_code == 0);
    EXPECT_EQ(nlohmann::json::parse(sys->out, nullptr, false)["panic_cpu"], panic_cpu) << sys->out;
    const std::string stacks = run->out.substr(cpus_line.size());
    // panic() spins with interrupts on: an arm64 vCPU is often dumped on an exception vector's
    // first instruction, where the interrupted pc is in ELR_EL1 (not in QEMU's arm64 notes);
    // the trace goes on from x30 and the interrupted function's frame record.
    EXPECT_NE(stacks.find("panic"), std::string::npos) << stacks;
    EXPECT_NE(stacks.find("sysrq_handle_crash"), std::string::npos) << stacks;
}

} // namespace
} // namespace kdive::testing
