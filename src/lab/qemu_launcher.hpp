// Starts qemu-system-x86_64 (or qemu-system-aarch64 -M virt for an arm64 kernel) with the
// gdbstub on a private endpoint and a QMP socket.
#pragma once

#include "lab/session.hpp"
#include "support/error.hpp"

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace kdive::lab {

struct BootConfig {
    std::string kernel_label;      // as the user named it
    std::filesystem::path bzimage; // the image: bzImage, or Image on arm64
    std::filesystem::path vmlinux;
    // The kernel's architecture: the QEMU program and machine, CPU and console follow from it.
    KernelArch arch = KernelArch::amd64;
    std::filesystem::path initrd;
    std::string append; // added after kdive's own console and KASLR options
    bool kaslr = false; // false adds nokaslr
    int smp = 1;
    int mem_mb = 1024;
    bool paused = false;
    bool kvm = false;
    // QEMU's -cpu MODEL[,+feature...] (qemu64,+la57 for 5-level paging); empty: QEMU's
    // default under TCG on x86-64, default_arm64_cpu on arm64, the host's CPU under KVM.
    std::string cpu;
    // Multi-threaded TCG (one host thread per vCPU) instead of kdive's single-threaded default.
    bool mttcg = false;
    std::string gdb; // "unix:PATH" or "tcp:127.0.0.1:PORT"; empty: unix socket in the session
    std::filesystem::path dir;
    bool console_on_terminal = false;
    bool detach = false;
    std::string qemu; // empty: qemu_program(arch)
};

// The arm64 CPU under TCG: every feature QEMU emulates, but pointer authentication with
// QEMU's cheap implementation-defined algorithm (QARMA is slow under TCG) and no SVE (its
// registers would double what the stub sends for each vCPU).
inline constexpr const char* default_arm64_cpu = "max,pauth-impdef=on,sve=off";

// The QEMU program a config runs.
std::string qemu_binary(const BootConfig& config);

std::string kernel_command_line(const BootConfig& config);

// Checks a --gdb endpoint: Unix sockets, or TCP on the loopback address only.
Result<std::string> validate_gdb_endpoint(std::string_view endpoint);

// The session a config describes (endpoints inside the session folder), before launch.
Session session_for(const BootConfig& config);

std::vector<std::string> qemu_arguments(const BootConfig& config, const Session& session);

// A launched VM. Unless detached it is killed when this object goes away.
class RunningVm {
public:
    explicit RunningVm(Session session) : session_(std::move(session)) {}
    RunningVm(RunningVm&& other) noexcept;
    RunningVm& operator=(RunningVm&&) = delete;
    RunningVm(const RunningVm&) = delete;
    RunningVm& operator=(const RunningVm&) = delete;
    ~RunningVm();

    const Session& session() const { return session_; }
    // Waits for QEMU to exit on its own; returns its exit status.
    int wait();
    // Leaves QEMU running after this object is gone.
    void release() { released_ = true; }

private:
    Session session_;
    bool released_ = false;
};

Result<RunningVm> launch_vm(const BootConfig& config,
                            std::chrono::milliseconds ready_timeout = std::chrono::seconds(20));

// Ends a session's QEMU: QMP quit, then SIGTERM and SIGKILL if it lingers.
Result<> stop_session(const Session& session);

} // namespace kdive::lab
