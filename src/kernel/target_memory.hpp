// Adapts a target::Target to the readers the expression and kernel layers are written against.
#pragma once

#include "arch/physical_reader.hpp"
#include "eval/memory_reader.hpp"
#include "target/target.hpp"

namespace kdive::kernel {

// Virtual memory and registers of the target's selected vCPU, and guest-physical memory.
class TargetMemory final : public eval::MemoryReader,
                           public eval::RegisterReader,
                           public arch::PhysicalReader {
public:
    explicit TargetMemory(target::Target& target) : target_(target) {}

    Result<std::vector<std::byte>> read(std::uint64_t address, std::size_t length) override;
    Result<std::vector<std::vector<std::byte>>>
    read_many(std::span<const eval::ReadRange> ranges) override;
    Result<> write(std::uint64_t address, std::span<const std::byte> bytes) override;
    Result<std::uint64_t> read_register(std::string_view name) override;
    Result<> write_register(std::string_view name, std::uint64_t value) override;
    Result<std::vector<std::byte>> read_physical(std::uint64_t address,
                                                 std::size_t length) override;

    target::Target& target() { return target_; }

private:
    target::Target& target_;
};

// The registers of one vCPU, named explicitly: reading them leaves the target's selection alone.
class CpuRegisterReader final : public eval::RegisterReader {
public:
    CpuRegisterReader(target::Target& target, int vcpu) : target_(target), vcpu_(vcpu) {}
    Result<std::uint64_t> read_register(std::string_view name) override {
        return target_.read_cpu_register(vcpu_, name);
    }
    Result<> write_register(std::string_view name, std::uint64_t value) override;

private:
    target::Target& target_;
    int vcpu_;
};

} // namespace kdive::kernel
