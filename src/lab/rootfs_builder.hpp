// The recipe's BusyBox initramfs, built as archive entries without root or mknod.
#pragma once

#include "lab/cpio_archive.hpp"
#include "support/error.hpp"

#include <filesystem>
#include <string>
#include <vector>

namespace kdive::lab {

struct RootfsOptions {
    std::filesystem::path busybox; // empty: Debian's busybox-static
    struct Addition {
        std::filesystem::path source; // file or directory on the host
        std::string destination;      // path inside the guest
    };
    std::vector<Addition> additions;
    std::vector<std::filesystem::path> modules; // .ko, .ko.xz or .ko.zst, loaded at boot in order
    std::filesystem::path init_script;          // run at the end of rcS
};

// Parses "SRC:DEST" as given to --add.
Result<RootfsOptions::Addition> parse_addition(std::string_view spec);

// Where Debian's busybox-static installs its binary.
std::filesystem::path default_busybox();

// The line every kdive rootfs prints on the console once rcS has finished.
inline constexpr std::string_view rootfs_ready_marker = "kdive: rootfs ready";

Result<std::vector<CpioEntry>> build_rootfs(const RootfsOptions& options);

} // namespace kdive::lab
