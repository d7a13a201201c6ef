// A VM's RAM read without the gdbstub, at the guest-physical ranges QEMU places it: mapped from
// QEMU's shared memory backend, or copied out of the QEMU process with process_vm_readv. Reads
// are plain copies; the caller decides when they are consistent (every vCPU stopped).
#pragma once

#include "support/error.hpp"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <sys/types.h>
#include <vector>

namespace kdive::target {

struct RamRegion {
    std::uint64_t guest_physical = 0;
    std::uint64_t size = 0;
    // Into the mapped backend, or the QEMU process's virtual address of guest_physical.
    std::uint64_t offset = 0;
    bool operator==(const RamRegion&) const = default;
};

class GuestRam {
public:
    // Maps `backend` (a file, or /proc/PID/fd/N of QEMU's memfd) whole, read-only; every
    // region must lie inside it.
    static Result<std::unique_ptr<GuestRam>> map(const std::filesystem::path& backend,
                                                 std::vector<RamRegion> regions);
    // Reads the QEMU process `pid`'s memory (regions' offsets are its addresses); fails at
    // once when this process may not (ptrace permission), reading the first region as a probe.
    static Result<std::unique_ptr<GuestRam>> in_process(pid_t pid, std::vector<RamRegion> regions);

    virtual ~GuestRam() = default;
    // Kind `unmapped` naming the first guest-physical address outside RAM (MMIO, ROM, holes).
    Result<> read(std::uint64_t address, std::span<std::uint8_t> out) const;
    std::uint64_t size() const;
    // "QEMU's memfd (1024 MiB)", "QEMU pid 123's memory through process_vm_readv (1024 MiB)".
    virtual std::string describe() const = 0;

protected:
    explicit GuestRam(std::vector<RamRegion> regions);
    // Copies `out.size()` bytes starting at a region's offset-space address.
    virtual Result<> copy(std::uint64_t offset, std::span<std::uint8_t> out) const = 0;

private:
    std::vector<RamRegion> regions_; // by guest-physical address
};

} // namespace kdive::target
