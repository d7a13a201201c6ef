// The mapping is MAP_SHARED and read-only: QEMU's writes show through, kdive cannot write.
#include "target/guest_ram.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace kdive::target {

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
    std::ranges::sort(regions, {}, &RamRegion::guest_physical);
    return std::unique_ptr<GuestRam>(
        new GuestRam(backend, static_cast<const std::uint8_t*>(base), size, std::move(regions)));
}

GuestRam::~GuestRam() {
    ::munmap(const_cast<std::uint8_t*>(base_), size_);
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
        std::memcpy(out.data() + done, base_ + region.offset + into, length);
        done += length;
    }
    return {};
}

} // namespace kdive::target
