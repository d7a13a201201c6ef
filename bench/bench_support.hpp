// Helpers the VM benchmarks share: finding kdive, running it, medians, dropping the target's
// page cache between runs, the guest script that starts the extra tasks, and booting that guest.
#pragma once

#include "lab/boot_kernel.hpp"
#include "lab/console_log.hpp"
#include "lab/session.hpp"
#include "support/atomic_file.hpp"
#include "support/error.hpp"
#include "support/subprocess.hpp"
#include "target/target.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <unistd.h>
#include <vector>

namespace kdive::bench {

// bench binaries live in build/bench/; kdive in build/.
inline std::string kdive_binary(const char* argv0) {
    const auto beside = std::filesystem::path(argv0).parent_path() / ".." / "kdive";
    // Absolute: benchmarks may run kdive from another working directory.
    return std::filesystem::exists(beside) ? std::filesystem::absolute(beside).string() : "kdive";
}

// Runs a command to completion (five minutes at most) and returns its standard output.
inline Result<std::string> run(const std::vector<std::string>& argv) {
    RunOptions options;
    options.timeout = std::chrono::minutes(5);
    auto out = run_checked(argv, options);
    if (!out) {
        return std::unexpected(out.error());
    }
    return out->out;
}

inline double median(std::vector<double> values) {
    std::sort(values.begin(), values.end());
    return values.empty() ? 0 : values[values.size() / 2];
}

// Lets the guest run a moment and stops it again: the Target drops its page cache on resume.
inline Result<> cycle(target::Target& target) {
    if (auto ok = target.resume(); !ok) {
        return ok;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (auto ok = target.interrupt(); !ok) {
        return ok;
    }
    auto stop = target.wait_for_stop(std::chrono::seconds(10));
    if (!stop || !*stop) {
        return fail("the guest did not stop");
    }
    return {};
}

// An rcS addition that starts `count` sleeping processes, creates `files` empty files in
// /many (each an inode on the root file system's s_inodes list: a list as long as a benchmark
// wants), and then prints how many tasks exist after "KDIVE-TASKS:", which the benchmark waits
// for on the console.
inline std::string extra_tasks_script(int count, int files = 0) {
    std::string script = fmt::format(
        "#!/bin/sh\ni=0\nwhile [ $i -lt {} ]; do sleep 1000 & i=$((i+1)); done\n", count);
    if (files > 0) {
        script += fmt::format("mkdir -p /many && (cd /many && seq 1 {} | xargs touch)\n", files);
    }
    return script + "echo \"KDIVE-TASKS: $(ls -d /proc/[0-9]* | wc -l)\"\n";
}

// The head and link of that list, for `list -H`: every inode of the root file system.
inline constexpr const char* inode_list_walk =
    "list -H -o inode.i_sb_list &init_task.fs->root.mnt->mnt_sb->s_inodes";

// What a VM benchmark starts from: kdive, the kernel, a private work folder (removed by the
// benchmark) and, in it, the rcS addition that starts `task_count` extra tasks.
struct Setup {
    std::string kdive;
    lab::BootKernel kernel;
    std::filesystem::path work;
    std::filesystem::path script;
};

inline Result<Setup> prepare(const char* argv0, const std::string& kernel_name,
                             std::string_view tag, int task_count, int file_count = 0) {
    auto kernel = lab::resolve_boot_kernel(kernel_name);
    if (!kernel) {
        return std::unexpected(kernel.error());
    }
    Setup out{kdive_binary(argv0),
              *kernel,
              std::filesystem::temp_directory_path() /
                  fmt::format("kdive-bench-{}-{}", tag, getpid()),
              {}};
    std::filesystem::create_directories(out.work);
    out.script = out.work / "tasks.sh";
    if (auto ok = write_file_atomically(out.script, extra_tasks_script(task_count, file_count));
        !ok) {
        return std::unexpected(ok.error());
    }
    return out;
}

// The kernel's module `file_name` (e.g. "dummy.ko", compressed or not) among the modules beside
// its vmlinux; empty when the kernel has none.
inline std::filesystem::path kernel_module(const lab::BootKernel& kernel,
                                           std::string_view file_name) {
    std::error_code ec;
    for (auto it = std::filesystem::recursive_directory_iterator(
             kernel.vmlinux.parent_path() / "modules", ec);
         !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
        if (it->path().filename().string().starts_with(file_name)) {
            return it->path();
        }
    }
    return {};
}

// A guest booted from the setup's rootfs (the extra tasks, dummy for lsmod to list and
// qemu_fw_cfg so that dumps carry VMCOREINFO), up once its script reported the task count.
struct BenchVm {
    std::filesystem::path state;
    lab::Session session;
    int guest_tasks = 0; // `ls -d /proc/[0-9]* | wc -l` in the guest, as its script printed
};

inline Result<BenchVm> boot_bench_vm(const Setup& setup, const std::string& kernel_name,
                                     int smp = 2) {
    const auto rootfs = setup.work / "rootfs.cpio.gz";
    std::vector<std::string> rootfs_args{setup.kdive,     "rootfs",        "-o",
                                         rootfs.string(), "--init-script", setup.script.string()};
    for (const char* module : {"dummy.ko", "qemu_fw_cfg.ko"}) {
        if (auto path = kernel_module(setup.kernel, module); !path.empty()) {
            rootfs_args.insert(rootfs_args.end(), {"--module", path.string()});
        }
    }
    if (kernel_name.ends_with("-arm64")) {
        rootfs_args.insert(rootfs_args.end(), {"--arch", "arm64"}); // the guest's busybox
    }
    if (auto ok = run(rootfs_args); !ok) {
        return std::unexpected(ok.error());
    }
    BenchVm vm;
    vm.state = setup.work / "session";
    if (auto ok =
            run({setup.kdive, "boot", "--kernel", kernel_name, "--detach", "--state",
                 vm.state.string(), "--smp", std::to_string(smp), "--initrd", rootfs.string()});
        !ok) {
        return std::unexpected(ok.error());
    }
    auto session = lab::Session::load(vm.state);
    if (!session) {
        (void)run({setup.kdive, "stop", vm.state.string()});
        return std::unexpected(session.error());
    }
    vm.session = *session;
    if (auto ok = lab::wait_for_console(session->console_log, "KDIVE-TASKS",
                                        std::chrono::minutes(10), session->pid);
        !ok) {
        (void)run({setup.kdive, "stop", vm.state.string()});
        return std::unexpected(ok.error());
    }
    std::ifstream log(session->console_log);
    std::stringstream text;
    text << log.rdbuf();
    const std::string console = text.str();
    if (const auto at = console.find("KDIVE-TASKS: "); at != std::string::npos) {
        vm.guest_tasks = std::atoi(console.c_str() + at + 13);
    }
    return vm;
}

// vmlinux-gdb.py from a kernel build tree named by $KDIVE_LX_SCRIPTS, beside the vmlinux, or
// made from the kernel's Debian source by `kdive kernel gdb-scripts` (fetched once, cached).
inline std::filesystem::path lx_scripts(const std::string& kdive, const std::string& kernel_name,
                                        const std::filesystem::path& vmlinux) {
    if (const char* dir = std::getenv("KDIVE_LX_SCRIPTS")) {
        return std::filesystem::path(dir) / "vmlinux-gdb.py";
    }
    auto beside = vmlinux.parent_path() / "vmlinux-gdb.py";
    if (std::filesystem::exists(beside)) {
        return beside;
    }
    RunOptions options;
    options.timeout = std::chrono::minutes(20);
    auto made = run_checked({kdive, "kernel", "gdb-scripts", kernel_name}, options);
    if (!made) {
        fmt::print(stderr, "no lx-scripts for {}: {}\n", kernel_name, made.error().message);
        return {};
    }
    std::string out = made->out;
    while (!out.empty() && out.back() == '\n') {
        out.pop_back();
    }
    return out.substr(out.rfind('\n') + 1);
}

} // namespace kdive::bench
