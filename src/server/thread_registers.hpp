// A thread's registers in the server's target description: a running task's are its vCPU's;
// a sleeping task's are what the kernel saved when it switched away (x86-64: thread.sp and the
// inactive_task_frame; arm64: thread.cpu_context), and every other register is unavailable,
// never invented.
#pragma once

#include "arch/gdb_registers.hpp"
#include "server/task_threads.hpp"

#include <cstdint>
#include <optional>
#include <vector>

namespace kdive::server {

// One value per register of arch::gdb_registers(arch), little-endian; nullopt when the
// thread's state does not hold it.
using RegisterFile = std::vector<std::optional<std::vector<std::uint8_t>>>;

class ThreadRegisters {
public:
    ThreadRegisters(target::Target& target, TaskThreads::KernelSource kernel,
                    const arch::Architecture& arch)
        : target_(target), kernel_(std::move(kernel)), arch_(arch),
          layout_(arch::gdb_registers(arch)) {}

    // Kept for the stop: LLDB asks for registers one at a time.
    Result<const RegisterFile*> read(const ServedThread& thread);
    // Only a running thread's registers can change (they are its vCPU's).
    Result<> write(const ServedThread& thread, std::size_t regnum,
                   std::span<const std::uint8_t> bytes);
    // arm64: TCR_EL1 as the selected vCPU holds it (the same on every CPU), which says where
    // return addresses keep their authentication code; nullopt elsewhere or unreadable.
    std::optional<std::uint64_t> translation_control();

private:
    RegisterFile vcpu_registers(int vcpu);
    Result<RegisterFile> saved_registers(const ServedThread& thread);
    // arm64's pointer-authentication masks, the same for every thread of the kernel.
    void add_pointer_auth_masks(RegisterFile& file);

    target::Target& target_;
    TaskThreads::KernelSource kernel_;
    const arch::Architecture& arch_;
    std::span<const arch::GdbRegister> layout_;
    std::optional<std::pair<std::uint64_t, std::uint64_t>> cached_for_; // generation, thread
    RegisterFile cached_;
    std::optional<std::pair<std::uint64_t, std::optional<std::uint64_t>>> tcr_for_; // generation
};

// The `g` reply: each register's hex, or "xx" per byte of an unavailable one.
std::string encode_register_file(const RegisterFile& file,
                                 std::span<const arch::GdbRegister> layout);

} // namespace kdive::server
