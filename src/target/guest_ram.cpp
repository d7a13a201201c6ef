// The mapping is MAP_SHARED and read-only: QEMU's writes show through, kdive cannot write.
// process_vm_readv needs the same permission as ptrace attach; QEMU must be this user's.
#include "target/guest_ram.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

namespace kdive::target {

namespace {

class MappedGuestRam final : public GuestRam {
public:
    MappedGuestRam(std::filesystem::path backend, const std::uint8_t* base, std::uint64_t size,
                   std::vector<RamRegion> regions)
        : GuestRam(std::move(regions)), backend_(std::move(backend)), base_(base), size_(size) {}
    ~MappedGuestRam() override { ::munmap(const_cast<std::uint8_t*>(base_), size_); }
    MappedGuestRam(const MappedGuestRam&) = delete;
    MappedGuestRam& operator=(const MappedGuestRam&) = delete;

    std::string describe() const override {
        return fmt::format("mapped from QEMU's memfd ({} MiB)", size() >> 20);
    }

private:
    Result<> copy(std::uint64_t offset, std::span<std::uint8_t> out) const override {
        std::memcpy(out.data(), base_ + offset, out.size());
        return {};
    }
    std::filesystem::path backend_;
    const std::uint8_t* base_;
    std::uint64_t size_;
};

class ProcessGuestRam final : public GuestRam {
public:
    ProcessGuestRam(pid_t pid, std::vector<RamRegion> regions)
        : GuestRam(std::move(regions)), pid_(pid) {}

    std::string describe() const override {
        return fmt::format("QEMU pid {}'s memory through process_vm_readv ({} MiB)", pid_,
                           size() >> 20);
    }

private:
    Result<> copy(std::uint64_t offset, std::span<std::uint8_t> out) const override {
        std::size_t done = 0;
        while (done < out.size()) {
            iovec local{out.data() + done, out.size() - done};
            // The remote address is only a number to the kernel; it is never dereferenced here.
            iovec remote{
                reinterpret_cast<void*>(offset + done), // NOLINT(performance-no-int-to-ptr)
                out.size() - done};
            const ssize_t got = ::process_vm_readv(pid_, &local, 1, &remote, 1, 0);
            if (got <= 0) {
                return fail_as(got == 0 ? ErrorKind::unmapped : ErrorKind::other,
                               "reading QEMU pid {}'s memory at {:#x}: {}", pid_, offset + done,
                               got == 0 ? "nothing read" : std::strerror(errno));
            }
            done += static_cast<std::size_t>(got);
        }
        return {};
    }
    pid_t pid_;
};

} // namespace

GuestRam::GuestRam(std::vector<RamRegion> regions) : regions_(std::move(regions)) {
    std::ranges::sort(regions_, {}, &RamRegion::guest_physical);
}

std::uint64_t GuestRam::size() const {
    std::uint64_t total = 0;
    for (const auto& region : regions_) {
        total += region.size;
    }
    return total;
}

Result<std::unique_ptr<GuestRam>> GuestRam::map(const std::filesystem::path& backend,
                                                std::vector<RamRegion> regions) {
    const int fd = ::open(backend.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return fail("guest RAM {}: cannot open: {}", backend.string(), std::strerror(errno));
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0 || st.st_size <= 0) {
        ::close(fd);
        return fail("guest RAM {}: empty or unreadable", backend.string());
    }
    const auto size = static_cast<std::uint64_t>(st.st_size);
    for (const auto& region : regions) {
        if (region.offset > size || size - region.offset < region.size) {
            ::close(fd);
            return fail_as(ErrorKind::corrupt,
                           "guest RAM {}: region at guest-physical {:#x} ({:#x} bytes from offset "
                           "{:#x}) lies past its {:#x} bytes",
                           backend.string(), region.guest_physical, region.size, region.offset,
                           size);
        }
    }
    void* base = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
    ::close(fd);
    if (base == MAP_FAILED) {
        return fail("guest RAM {}: mmap: {}", backend.string(), std::strerror(errno));
    }
    return std::make_unique<MappedGuestRam>(backend, static_cast<const std::uint8_t*>(base), size,
                                            std::move(regions));
}

Result<std::unique_ptr<GuestRam>> GuestRam::in_process(pid_t pid, std::vector<RamRegion> regions) {
    if (regions.empty()) {
        return fail("QEMU pid {}: no RAM regions to read", pid);
    }
    const std::uint64_t first_address = regions.front().guest_physical;
    std::unique_ptr<GuestRam> ram = std::make_unique<ProcessGuestRam>(pid, std::move(regions));
    std::uint8_t probe = 0;
    auto first = ram->read(first_address, {&probe, 1});
    if (!first) {
        return std::unexpected(first.error());
    }
    return ram;
}

Result<> GuestRam::read(std::uint64_t address, std::span<std::uint8_t> out) const {
    std::size_t done = 0;
    while (done < out.size()) {
        const std::uint64_t at = address + done;
        auto after = std::ranges::upper_bound(regions_, at, {}, &RamRegion::guest_physical);
        if (after == regions_.begin() ||
            at - std::prev(after)->guest_physical >= std::prev(after)->size) {
            return fail_as(ErrorKind::unmapped, "guest-physical address {:#x} is not RAM", at);
        }
        const RamRegion& region = *std::prev(after);
        const std::uint64_t into = at - region.guest_physical;
        const std::size_t length = static_cast<std::size_t>(
            std::min<std::uint64_t>(out.size() - done, region.size - into));
        if (auto ok = copy(region.offset + into, out.subspan(done, length)); !ok) {
            return ok;
        }
        done += length;
    }
    return {};
}

} // namespace kdive::target
