// The recipe's BusyBox initramfs, built as archive entries without root or mknod.
#pragma once

#include "lab/cpio_archive.hpp"
#include "lab/kernel_arch.hpp"
#include "support/error.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace kdive::lab {

struct RootfsOptions {
    std::filesystem::path busybox; // empty: Debian's busybox-static of the host
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

// The applets of a static busybox binary of any architecture, as `busybox --list-full` prints
// them ("bin/sh", "sbin/mdev", ...), read from the binary's own tables rather than by running it
// (an arm64 busybox cannot run on an x86-64 host, and qemu-user is not at hand). BusyBox keeps
// its applet names as one sorted, NUL-separated string ending in an empty one
// (applet_names[]), and with FEATURE_INSTALLER (which --list-full needs too) a folder per
// applet as 4-bit codes, two a byte (applet_install_loc[]: 0 /, 1 /bin, 2 /sbin, 3 /usr/bin,
// 4 /usr/sbin). The names are the longest such sorted string run in the file; the codes are the
// byte run of that length whose every nibble is a folder code and which puts the applets whose
// folder BusyBox's source fixes (sh and mount in /bin, mdev in /sbin, [ in /usr/bin, chroot in
// /usr/sbin) where they belong, the nearest one to the names when several fit. Fails saying
// which table was not found.
Result<std::vector<std::string>> parse_busybox_applets(std::string_view binary);

// The architecture a kernel module is built for (read through its compression); nullopt when
// it is an ELF of neither architecture kdive knows.
Result<std::optional<KernelArch>> module_arch(const std::filesystem::path& module);

// The line every kdive rootfs prints on the console once rcS has finished.
inline constexpr std::string_view rootfs_ready_marker = "kdive: rootfs ready";

// Fails naming the module when a module's architecture is not the busybox binary's: the guest
// could run neither both.
Result<std::vector<CpioEntry>> build_rootfs(const RootfsOptions& options);

} // namespace kdive::lab
