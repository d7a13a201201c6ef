// statvfs-based free space and size formatting.
#include "lab/disk_space.hpp"

#include <cerrno>
#include <cstring>
#include <fmt/format.h>
#include <sys/statvfs.h>

namespace kdive::lab {

Result<std::uint64_t> free_bytes(const std::filesystem::path& path) {
    std::filesystem::path probe = path;
    std::error_code ec;
    while (!probe.empty() && !std::filesystem::exists(probe, ec)) {
        probe = probe.parent_path();
    }
    if (probe.empty()) {
        probe = ".";
    }
    struct statvfs info {};
    if (statvfs(probe.c_str(), &info) != 0) {
        return fail("statvfs {}: {}", probe.string(), std::strerror(errno));
    }
    return static_cast<std::uint64_t>(info.f_bavail) * info.f_frsize;
}

Result<> require_free_space(const std::filesystem::path& path, std::uint64_t needed,
                            std::string_view purpose) {
    auto available = free_bytes(path);
    if (!available) {
        return std::unexpected(available.error());
    }
    if (*available < needed) {
        return fail("not enough disk space in {}: {} needs about {}, only {} free", path.string(),
                    purpose, human_size(needed), human_size(*available));
    }
    return {};
}

std::string human_size(std::uint64_t bytes) {
    constexpr double kMB = 1000.0 * 1000.0;
    if (bytes >= 1000 * 1000 * 1000ULL) {
        return fmt::format("{:.1f} GB", static_cast<double>(bytes) / (kMB * 1000.0));
    }
    if (bytes >= 1000 * 1000ULL) {
        return fmt::format("{:.0f} MB", static_cast<double>(bytes) / kMB);
    }
    return fmt::format("{:.0f} kB", static_cast<double>(bytes) / 1000.0);
}

} // namespace kdive::lab
