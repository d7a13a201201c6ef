// A VM session folder: what `kdive boot` started and where its endpoints are.
#pragma once

#include "lab/kernel_arch.hpp"
#include "support/error.hpp"

#include <filesystem>
#include <string>
#include <sys/types.h>

namespace kdive::lab {

struct Session {
    std::filesystem::path dir;
    std::string gdb;           // "unix:/path" or "tcp:127.0.0.1:PORT"
    std::filesystem::path qmp; // QMP Unix socket
    std::filesystem::path console_log;
    std::filesystem::path console_socket; // empty when the console is on kdive's terminal
    pid_t pid = 0;                        // the QEMU process
    std::string kernel;                   // catalog name or image path as given
    std::filesystem::path bzimage;        // the booted image: bzImage, or Image on arm64
    KernelArch arch = KernelArch::amd64;  // the guest's ("amd64", "arm64" in session.json)
    std::filesystem::path vmlinux;        // empty when unknown
    std::filesystem::path initrd;
    std::string append;
    int smp = 1;
    bool kvm = false;
    bool detached = false;

    static constexpr const char* file_name = "session.json";

    static Result<Session> load(const std::filesystem::path& dir);
    Result<> save() const;
};

// True while the process exists and is a QEMU (guards against pid reuse).
bool is_qemu_alive(pid_t pid);

} // namespace kdive::lab
