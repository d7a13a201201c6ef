// A VM's RAM mapped read-only into kdive (QEMU's shared memory backend), with the guest-physical
// ranges QEMU maps it at. Reads are plain copies; the caller decides when they are consistent
// (every vCPU stopped).
#pragma once

#include "support/error.hpp"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <vector>

namespace kdive::target {

struct RamRegion {
    std::uint64_t guest_physical = 0;
    std::uint64_t size = 0;
    std::uint64_t offset = 0; // into the backend
    bool operator==(const RamRegion&) const = default;
};

class GuestRam {
public:
    // Maps `backend` (a file, or /proc/PID/fd/N of QEMU's memfd) whole; every region must lie
    // inside it.
    static Result<std::unique_ptr<GuestRam>> map(const std::filesystem::path& backend,
                                                 std::vector<RamRegion> regions);
    ~GuestRam();
    GuestRam(const GuestRam&) = delete;
    GuestRam& operator=(const GuestRam&) = delete;

    // Kind `unmapped` naming the first guest-physical address outside RAM (MMIO, ROM, holes).
    Result<> read(std::uint64_t address, std::span<std::uint8_t> out) const;
    std::uint64_t size() const { return size_; }
    const std::filesystem::path& backend() const { return backend_; }

private:
    GuestRam(std::filesystem::path backend, const std::uint8_t* base, std::uint64_t size,
             std::vector<RamRegion> regions)
        : backend_(std::move(backend)), base_(base), size_(size), regions_(std::move(regions)) {}
    std::filesystem::path backend_;
    const std::uint8_t* base_;
    std::uint64_t size_;
    std::vector<RamRegion> regions_; // by guest-physical address
};

} // namespace kdive::target
