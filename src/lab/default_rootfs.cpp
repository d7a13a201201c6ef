// Default rootfs: the recipe's BusyBox layout, plus the module that makes dumps carry
// VMCOREINFO when the kernel has it as a module.
#include "lab/default_rootfs.hpp"

#include "lab/archive_output.hpp"
#include "lab/busybox_store.hpp"
#include "lab/rootfs_builder.hpp"

namespace kdive::lab {

std::vector<std::filesystem::path> default_rootfs_modules(const std::filesystem::path& vmlinux) {
    namespace fs = std::filesystem;
    if (vmlinux.empty()) {
        return {};
    }
    const fs::path folder = vmlinux.parent_path() / "modules/kernel/drivers/firmware";
    std::error_code ec;
    for (const char* name : {"qemu_fw_cfg.ko", "qemu_fw_cfg.ko.xz", "qemu_fw_cfg.ko.zst"}) {
        if (fs::is_regular_file(folder / name, ec)) {
            return {folder / name};
        }
    }
    return {};
}

Result<> write_default_rootfs(const std::filesystem::path& path,
                              const std::vector<std::filesystem::path>& modules, KernelArch arch,
                              const std::function<void(std::string_view)>& say) {
    RootfsOptions options;
    options.modules = modules;
    auto busybox = busybox_for(arch, say);
    if (!busybox) {
        return std::unexpected(busybox.error());
    }
    options.busybox = *busybox;
    auto entries = build_rootfs(options);
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
