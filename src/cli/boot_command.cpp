// `kdive boot`: QEMU with a kernel, a rootfs and the gdbstub, optionally paused or detached.
#include "cli/commands.hpp"
#include "cli/report.hpp"
#include "lab/boot_kernel.hpp"
#include "lab/default_rootfs.hpp"
#include "lab/kvm_probe.hpp"
#include "lab/qemu_launcher.hpp"
#include "lab/session_dir.hpp"

#include <csignal>
#include <cstdlib>
#include <fmt/core.h>
#include <sys/wait.h>

namespace kdive::cli {

namespace {

struct BootArgs {
    std::string kernel = "debian-6.1-cloud";
    std::string initrd;
    std::string append;
    int smp = 1;
    int mem = 1024;
    bool paused = false;
    std::string kvm = "off";
    std::string cpu;
    bool mttcg = false;
    std::string gdb;
    std::string state;
    bool detach = false;
    bool console = false;
    bool kaslr = false;
};

Result<lab::BootConfig> make_config(const BootArgs& args) {
    lab::BootConfig config;
    auto kernel = lab::resolve_boot_kernel(args.kernel);
    if (!kernel) {
        return std::unexpected(kernel.error());
    }
    if (args.smp < 1 || args.smp > 64) {
        return fail("--smp {}: expected 1 to 64 CPUs", args.smp);
    }
    if (args.mem < 64) {
        return fail("--mem {}: at least 64 MB are needed", args.mem);
    }
    auto kvm = lab::parse_kvm_mode(args.kvm);
    if (!kvm) {
        return std::unexpected(kvm.error());
    }
    if (!args.gdb.empty()) {
        auto gdb = lab::validate_gdb_endpoint(args.gdb);
        if (!gdb) {
            return std::unexpected(gdb.error());
        }
        config.gdb = *gdb;
    }
    auto dir = lab::make_session_dir(args.state);
    if (!dir) {
        return std::unexpected(dir.error());
    }
    config.dir = *dir;
    config.arch = kernel->arch;
    if (*kvm != lab::KvmMode::Off && kernel->arch != lab::host_arch()) {
        // KVM runs only guests of the host's own architecture.
        if (*kvm == lab::KvmMode::On) {
            return fail("--kvm on: KVM cannot run an {} kernel on this {} host",
                        lab::arch_name(kernel->arch), lab::arch_name(lab::host_arch()));
        }
        fmt::print(stderr, "kdive: using TCG (KVM cannot run an {} kernel on this {} host)\n",
                   lab::arch_name(kernel->arch), lab::arch_name(lab::host_arch()));
    } else if (*kvm != lab::KvmMode::Off) {
        auto probe = lab::probe_kvm(config.dir);
        if (probe) {
            config.kvm = true;
        } else if (*kvm == lab::KvmMode::On) {
            return fail("--kvm on: {}", probe.error().message);
        } else {
            fmt::print(stderr, "kdive: using TCG ({})\n", probe.error().message);
        }
    }
    config.kernel_label = args.kernel;
    config.bzimage = kernel->bzimage;
    config.vmlinux = kernel->vmlinux;
    config.append = args.append;
    config.kaslr = args.kaslr;
    config.smp = args.smp;
    config.mem_mb = args.mem;
    config.cpu = args.cpu;
    config.mttcg = args.mttcg || std::getenv("KDIVE_MTTCG") != nullptr;
    config.paused = args.paused;
    config.detach = args.detach;
    config.console_on_terminal = args.console && !args.detach;
    if (args.initrd.empty()) {
        config.initrd = config.dir / "rootfs.cpio.gz";
        if (auto r = lab::write_default_rootfs(
                config.initrd, lab::default_rootfs_modules(config.vmlinux), config.arch,
                [](std::string_view line) { fmt::print(stderr, "kdive: {}\n", line); });
            !r) {
            return std::unexpected(r.error());
        }
    } else {
        config.initrd = std::filesystem::absolute(args.initrd);
    }
    return config;
}

// Waits for QEMU to end, or for a signal that ends it; returns the exit status.
int supervise(lab::RunningVm& vm, const sigset_t& signals) {
    timespec tick{0, 200'000'000};
    while (true) {
        int sig = sigtimedwait(&signals, nullptr, &tick);
        if (sig > 0) {
            fmt::print(stderr, "kdive: stopping the VM ({})\n", strsignal(sig));
            return 128 + sig; // RunningVm's destructor ends QEMU
        }
        int status = 0;
        if (waitpid(vm.session().pid, &status, WNOHANG) == vm.session().pid) {
            vm.release();
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        }
    }
}

} // namespace

void register_boot_command(CLI::App& app, ExitStatus& status) {
    auto args = std::make_shared<BootArgs>();
    auto* cmd = app.add_subcommand("boot", "Boot a kernel in QEMU with the gdbstub");
    cmd->add_option("--kernel", args->kernel,
                    "fetched kernel name or image path (bzImage, arm64 Image)")
        ->capture_default_str();
    cmd->add_option("--initrd", args->initrd, "initramfs (default: a fresh kdive rootfs)");
    cmd->add_option("--append", args->append, "extra kernel command line");
    cmd->add_option("--smp", args->smp, "virtual CPUs")->capture_default_str();
    cmd->add_option("--mem", args->mem, "memory in MB")->capture_default_str();
    cmd->add_flag("--paused", args->paused, "stay at the reset vector until continued");
    cmd->add_option("--kvm", args->kvm, "auto, on or off (TCG)")->capture_default_str();
    cmd->add_option("--cpu", args->cpu,
                    "QEMU CPU model and features, e.g. qemu64,+la57 (5-level paging) or max");
    cmd->add_flag("--mttcg", args->mttcg,
                  "multi-threaded TCG: a host thread per vCPU (default: one thread; also "
                  "$KDIVE_MTTCG)");
    cmd->add_option("--gdb", args->gdb, "gdbstub endpoint: unix:PATH or tcp:127.0.0.1:PORT");
    cmd->add_option("--state", args->state, "session folder (default: a new one)");
    cmd->add_flag("--detach", args->detach, "leave the VM running and return");
    cmd->add_flag("--console", args->console, "serial console on this terminal (Ctrl-A x quits)");
    cmd->add_flag("--kaslr", args->kaslr, "do not add nokaslr");
    cmd->callback([args, &status] {
        sigset_t signals;
        sigemptyset(&signals);
        for (int sig : {SIGINT, SIGTERM, SIGHUP}) {
            sigaddset(&signals, sig);
        }
        sigprocmask(SIG_BLOCK, &signals, nullptr);
        auto config = make_config(*args);
        if (!config) {
            report_error(status, config.error());
            return;
        }
        auto vm = lab::launch_vm(*config);
        if (!vm) {
            report_error(status, vm.error());
            return;
        }
        const auto& session = vm->session();
        fmt::print(stderr, "kdive: QEMU pid {} ({}){}; gdbstub {}; console {}\n", session.pid,
                   session.kvm ? "KVM" : "TCG",
                   config->paused ? ", paused at the reset vector" : "", session.gdb,
                   session.console_log.string());
        fmt::print("{}\n", session.dir.string());
        (void)std::fflush(stdout);
        if (config->detach) {
            vm->release();
            return;
        }
        status.code = supervise(*vm, signals);
    });
}

} // namespace kdive::cli
