// Default rootfs: the recipe's BusyBox layout with no additions.
#include "lab/default_rootfs.hpp"

#include "lab/archive_output.hpp"
#include "lab/rootfs_builder.hpp"

namespace kdive::lab {

Result<> write_default_rootfs(const std::filesystem::path& path) {
    auto entries = build_rootfs({});
    if (!entries) {
        return std::unexpected(entries.error());
    }
    auto written = write_archive(path, *entries, {archive_mtime(std::nullopt)}, Compression::Gzip);
    if (!written) {
        return std::unexpected(written.error());
    }
    return {};
}

} // namespace kdive::lab
