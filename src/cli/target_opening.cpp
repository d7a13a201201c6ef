// Opening what `kdive attach` and `kdive serve` are pointed at: a session's VM (its RAM read
// directly when possible), a gdbstub endpoint, or a vmcore with the vmlinux of its kernel.
#include "cli/target_opening.hpp"

#include "arch/architecture.hpp"
#include "arch/kernel_translator.hpp"
#include "cli/debugger_stack.hpp"
#include "kernel/vcpu_tasks.hpp"
#include "lab/guest_ram_source.hpp"
#include "lab/session.hpp"
#include "lab/vmcore_kernel.hpp"
#include "rsp/endpoint.hpp"
#include "target/core_target.hpp"
#include "target/rsp_target.hpp"

#include <fmt/ranges.h>

namespace kdive::cli {

namespace {

struct AttachPoint {
    rsp::Endpoint endpoint;
    std::filesystem::path vmlinux; // from the session, when it knows one
    std::optional<lab::Session> session;
};

// A session folder written by `kdive boot`, or an endpoint string.
Result<AttachPoint> resolve_attach_point(const std::string& where) {
    std::error_code ec;
    if (std::filesystem::is_directory(where, ec)) {
        auto session = lab::Session::load(where);
        if (!session) {
            return std::unexpected(session.error());
        }
        if (session->pid > 0 && !lab::is_qemu_alive(session->pid)) {
            return fail("session {}: QEMU (pid {}) is no longer running", where, session->pid);
        }
        auto endpoint = rsp::Endpoint::parse(session->gdb);
        if (!endpoint) {
            return wrap(endpoint.error(), fmt::format("session {}", where));
        }
        return AttachPoint{*endpoint, session->vmlinux, *session};
    }
    auto endpoint = rsp::Endpoint::parse(where);
    if (!endpoint) {
        return wrap(endpoint.error(),
                    fmt::format("'{}' is neither a session folder nor an endpoint", where));
    }
    return AttachPoint{*endpoint, {}, std::nullopt};
}

// A dump: its memory and CPUs, kernel-virtual addresses through the kernel's page tables, and
// the vmlinux of the kernel it holds.
Result<OpenedTarget> open_vmcore(const TargetSource& args) {
    auto file = target::open_core_file(args.where);
    if (!file) {
        return std::unexpected(file.error());
    }
    auto core = target::CoreTarget::open(std::move(*file));
    if (!core) {
        return std::unexpected(core.error());
    }
    const auto& info = (*core)->vmcore_info();
    (*core)->set_translator(
        arch::dump_kernel_translator(**core, info, arch::architecture_of(**core)));
    std::filesystem::path vmlinux = args.vmlinux;
    if (vmlinux.empty()) {
        auto kernel = lab::dump_kernel((*core)->file(), info);
        if (!kernel) {
            return std::unexpected(kernel.error());
        }
        auto found = lab::find_vmlinux(*kernel, args.debug_dir, [](std::string_view line) {
            fmt::print(stderr, "kdive: {}\n", line);
            (void)std::fflush(stderr);
        });
        if (!found) {
            return std::unexpected(found.error());
        }
        vmlinux = *found;
    }
    OpenedTarget opened;
    const int cpus = (*core)->vcpu_count();
    opened.greeting = fmt::format("Opened {} ({}, {} CPU{}{}); vmlinux {}.", args.where,
                                  (*core)->file().describe(), cpus, cpus == 1 ? "" : "s",
                                  info.empty() ? ", no VMCOREINFO" : "", vmlinux.string());
    opened.target = std::move(*core);
    opened.vmlinux = vmlinux;
    return opened;
}

// Reads guest RAM without the stub unless told not to: a session's memfd, else QEMU's process
// memory through its QMP socket (the session's or --qmp); says which path memory takes.
Result<std::string> use_direct_memory(target::RspTarget& target,
                                      const std::optional<lab::Session>& session,
                                      const TargetSource& args) {
    const std::string& mode = args.memory;
    if (mode != "auto" && mode != "direct" && mode != "stub") {
        return fail_as(ErrorKind::invalid_input, "--memory {}: expected auto, direct or stub",
                       mode);
    }
    if (mode == "stub") {
        // Kernel addresses a vCPU's own mappings lack are walked in the kernel's tables.
        target.set_translator(arch::live_kernel_translator(target));
        return std::string("through the gdbstub (--memory stub)");
    }
    std::vector<std::string> reasons;
    std::unique_ptr<target::GuestRam> ram;
    if (session) {
        if (auto mapped = lab::map_guest_ram(*session)) {
            ram = std::move(*mapped);
        } else {
            reasons.push_back(mapped.error().message);
        }
    }
    std::filesystem::path qmp =
        std::string_view(args.qmp).starts_with("unix:") ? args.qmp.substr(5) : args.qmp;
    if (qmp.empty() && session) {
        qmp = session->qmp;
    }
    if (!ram && !qmp.empty()) {
        if (auto copied = lab::guest_ram_through_qmp(qmp)) {
            ram = std::move(*copied);
        } else {
            reasons.push_back(copied.error().message);
        }
    }
    if (!ram) {
        if (reasons.empty()) {
            reasons.emplace_back("no session folder or --qmp socket");
        }
        const std::string why = fmt::format("{}", fmt::join(reasons, "; "));
        if (mode == "direct") {
            return fail("--memory direct: {}", why);
        }
        target.set_translator(arch::live_kernel_translator(target));
        return fmt::format("through the gdbstub ({})", why);
    }
    std::string described = ram->describe();
    target.set_direct_memory(std::move(ram), arch::live_kernel_translator(target));
    return fmt::format("guest RAM read directly, {}; the gdbstub for registers, run control and "
                       "writes",
                       described);
}

} // namespace

Result<OpenedTarget> open_target(const TargetSource& args) {
    if (target::looks_like_core_file(args.where)) {
        return open_vmcore(args);
    }
    auto point = resolve_attach_point(args.where);
    if (!point) {
        return std::unexpected(point.error());
    }
    auto target = target::RspTarget::attach(point->endpoint);
    if (!target) {
        return std::unexpected(target.error());
    }
    auto memory = use_direct_memory(**target, point->session, args);
    if (!memory) {
        return std::unexpected(memory.error());
    }
    OpenedTarget opened;
    opened.vmlinux = args.vmlinux.empty() ? point->vmlinux : std::filesystem::path(args.vmlinux);
    const int vcpus = (*target)->vcpu_count();
    opened.greeting = fmt::format(
        "Attached to {} ({} vCPU{}, stopped){}.\nMemory: {}.", point->endpoint.to_string(), vcpus,
        vcpus == 1 ? "" : "s",
        opened.vmlinux.empty() ? "" : fmt::format("; vmlinux {}", opened.vmlinux.string()),
        *memory);
    opened.target = std::move(*target);
    return opened;
}

void add_target_source_options(CLI::App& command, TargetSource& source) {
    command.add_option("--vmlinux", source.vmlinux,
                       "kernel ELF with debug info (default: the session's, or the dump's kernel "
                       "from the cache)");
    command.add_option("--debug-dir", source.debug_dir,
                       "folder holding the dump's vmlinux (vmlinux-RELEASE, RELEASE/vmlinux, "
                       "usr/lib/debug/boot/vmlinux-RELEASE)");
    command
        .add_option("--memory", source.memory,
                    "how memory is read from a session's VM: auto (its RAM mapped directly when "
                    "kdive launched it, else the gdbstub), direct or stub")
        ->capture_default_str();
    command.add_option("--qmp", source.qmp,
                       "QMP socket of a VM kdive did not launch: its RAM is read from the QEMU "
                       "process (process_vm_readv) instead of the gdbstub");
}

Result<kernel::Kernel*> check_kernel_view(KernelCommands& kernel, target::Target& target) {
    // The kernel runs once a vCPU is in the kernel half or in user mode, not at the reset
    // vector. A vCPU in the kernel is preferred: one in user mode may not see kernel memory
    // under PTI when reads go through the stub. The selection is put back.
    std::optional<int> chosen;
    const arch::Architecture& arch = arch::architecture_of(target);
    for (int vcpu = 0; vcpu < target.vcpu_count(); ++vcpu) {
        auto pc = target.read_cpu_register(vcpu, arch.pc);
        if (pc && kernel::is_kernel_address(*pc)) {
            chosen = vcpu;
            break;
        }
        auto mode = arch::cpu_mode(
            arch, [&](std::string_view name) { return target.read_cpu_register(vcpu, name); });
        // arm64 at EL1 before the MMU is on runs at physical addresses: not yet the kernel.
        if (!chosen && mode && *mode == arch::CpuMode::user) {
            chosen = vcpu;
        }
    }
    if (!chosen) {
        return nullptr;
    }
    const int selected = target.current_vcpu();
    if (auto ok = target.select_vcpu(*chosen); !ok) {
        return std::unexpected(ok.error());
    }
    auto view = kernel.kernel();
    (void)target.select_vcpu(selected);
    return view;
}

} // namespace kdive::cli
