// A thread's registers in the server's target description: a running task's are its vCPU's;
// a sleeping task's are what the kernel saved when it switched away (thread.sp and the
// inactive_task_frame), and every other register is unavailable, never invented.
#pragma once

#include "server/task_threads.hpp"

#include <cstdint>
#include <optional>
#include <vector>

namespace kdive::server {

// One value per register of arch::x86_64::gdb_registers(), little-endian; nullopt when the
// thread's state does not hold it.
using RegisterFile = std::vector<std::optional<std::vector<std::uint8_t>>>;

class ThreadRegisters {
public:
    ThreadRegisters(target::Target& target, TaskThreads::KernelSource kernel)
        : target_(target), kernel_(std::move(kernel)) {}

    // Kept for the stop: LLDB asks for registers one at a time.
    Result<const RegisterFile*> read(const ServedThread& thread);
    // Only a running thread's registers can change (they are its vCPU's).
    Result<> write(const ServedThread& thread, std::size_t regnum,
                   std::span<const std::uint8_t> bytes);

private:
    RegisterFile vcpu_registers(int vcpu);
    Result<RegisterFile> saved_registers(const ServedThread& thread);

    target::Target& target_;
    TaskThreads::KernelSource kernel_;
    std::optional<std::pair<std::uint64_t, std::uint64_t>> cached_for_; // generation, thread
    RegisterFile cached_;
};

// The `g` reply: each register's hex, or "xx" per byte of an unavailable one.
std::string encode_register_file(const RegisterFile& file);

} // namespace kdive::server
