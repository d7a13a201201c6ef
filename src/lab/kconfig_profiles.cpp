// Profile fragments, compiled in so the kdive binary needs no data files beside it.
#include "lab/kconfig_profiles.hpp"

#include <array>
#include <fmt/format.h>

namespace kdive::lab {

namespace {

// What a kernel must have to be debugged the recipe's way (both profiles).
constexpr std::string_view debug_options =
    R"(# debugging: DWARF for kdive and GDB, the lx-scripts, no KASLR
CONFIG_DEBUG_KERNEL=y
CONFIG_DEBUG_INFO_DWARF@DWARF@=y
# CONFIG_DEBUG_INFO_REDUCED is not set
# CONFIG_DEBUG_INFO_SPLIT is not set
CONFIG_GDB_SCRIPTS=y
CONFIG_KALLSYMS=y
CONFIG_KALLSYMS_ALL=y
CONFIG_UNWINDER_ORC=y
CONFIG_DEBUG_FS=y
CONFIG_IKCONFIG=y
CONFIG_IKCONFIG_PROC=y
# CONFIG_RANDOMIZE_BASE is not set
# CONFIG_CMDLINE_BOOL is not set
)";

// tinyconfig plus what boots kdive's BusyBox initramfs under QEMU on a serial console.
constexpr std::string_view tiny_options =
    R"(# kdive profile "tiny": tinyconfig + a BusyBox initramfs under QEMU
CONFIG_64BIT=y
CONFIG_SMP=y
# QEMU's BIOS lists only the boot CPU in its MP table; ACPI's MADT lists them all
CONFIG_ACPI=y
# CONFIG_ACPI_AC is not set
# CONFIG_ACPI_BATTERY is not set
# CONFIG_ACPI_BUTTON is not set
# CONFIG_ACPI_FAN is not set
# CONFIG_ACPI_THERMAL is not set
# CONFIG_ACPI_TABLE_UPGRADE is not set
CONFIG_PRINTK=y
CONFIG_PRINTK_TIME=y
CONFIG_TTY=y
CONFIG_UNIX98_PTYS=y
CONFIG_SERIAL_8250=y
CONFIG_SERIAL_8250_CONSOLE=y
CONFIG_BLK_DEV_INITRD=y
CONFIG_RD_GZIP=y
CONFIG_RD_ZSTD=y
CONFIG_BINFMT_ELF=y
CONFIG_BINFMT_SCRIPT=y
CONFIG_PROC_FS=y
CONFIG_SYSFS=y
CONFIG_DEVTMPFS=y
CONFIG_DEVTMPFS_MOUNT=y
CONFIG_SHMEM=y
CONFIG_TMPFS=y
CONFIG_MULTIUSER=y
CONFIG_FUTEX=y
CONFIG_EPOLL=y
CONFIG_SIGNALFD=y
CONFIG_TIMERFD=y
CONFIG_EVENTFD=y
CONFIG_POSIX_TIMERS=y
CONFIG_MODULES=y
CONFIG_MODULE_UNLOAD=y
)";

// On top of the tree's .config or defconfig: the recipe's options plus what QEMU's
// dump-guest-memory needs to find the kernel (vmcoreinfo through fw_cfg).
constexpr std::string_view debug_extra =
    R"(# kdive profile "debug": the tree's config + the recipe's options
CONFIG_BLK_DEV_INITRD=y
CONFIG_FW_CFG_SYSFS=y
CONFIG_KEXEC=y
)";

// arm64 under qemu-system-aarch64 -M virt: the tiny profile without x86's ACPI (arm64 ACPI
// needs UEFI) and 8250 UART, with the virt machine's PL011 UART as console and virtio-mmio
// (its device transport). The GIC, the architected timer and PSCI come with ARM64 itself.
constexpr std::string_view tiny_arm64_options =
    R"(# kdive profile "tiny" (arm64): tinyconfig + a BusyBox initramfs under QEMU virt
CONFIG_64BIT=y
CONFIG_SMP=y
CONFIG_PRINTK=y
CONFIG_PRINTK_TIME=y
CONFIG_TTY=y
CONFIG_UNIX98_PTYS=y
CONFIG_SERIAL_AMBA_PL011=y
CONFIG_SERIAL_AMBA_PL011_CONSOLE=y
CONFIG_VIRTIO_MENU=y
CONFIG_VIRTIO_MMIO=y
CONFIG_BLK_DEV_INITRD=y
CONFIG_RD_GZIP=y
CONFIG_RD_ZSTD=y
CONFIG_BINFMT_ELF=y
CONFIG_BINFMT_SCRIPT=y
CONFIG_PROC_FS=y
CONFIG_SYSFS=y
CONFIG_DEVTMPFS=y
CONFIG_DEVTMPFS_MOUNT=y
CONFIG_SHMEM=y
CONFIG_TMPFS=y
CONFIG_MULTIUSER=y
CONFIG_FUTEX=y
CONFIG_EPOLL=y
CONFIG_SIGNALFD=y
CONFIG_TIMERFD=y
CONFIG_EVENTFD=y
CONFIG_POSIX_TIMERS=y
CONFIG_MODULES=y
CONFIG_MODULE_UNLOAD=y
)";

// x86's unwinder; arm64 has no choice to make (frame records, FRAME_POINTER always on).
constexpr std::string_view orc_line = "CONFIG_UNWINDER_ORC=y\n";

struct ProfileText {
    KconfigProfile profile;
    std::string_view head;
};

const std::array profiles{
    ProfileText{{"tiny", "tinyconfig", debug_options}, tiny_options},
    ProfileText{{"debug", "", debug_options}, debug_extra},
};

} // namespace

Result<KconfigProfile> find_kconfig_profile(std::string_view name) {
    for (const auto& p : profiles) {
        if (p.profile.name == name) {
            return p.profile;
        }
    }
    return fail("unknown kconfig profile '{}' (known: tiny, debug)", name);
}

std::string kconfig_profile_text(const KconfigProfile& profile, int dwarf, KernelArch arch) {
    std::string text;
    for (const auto& p : profiles) {
        if (p.profile.name == profile.name) {
            const bool tiny = p.head == tiny_options;
            text = std::string(arch == KernelArch::arm64 && tiny ? tiny_arm64_options : p.head) +
                   std::string(p.profile.fragment);
        }
    }
    if (arch == KernelArch::arm64) {
        if (auto at = text.find(orc_line); at != std::string::npos) {
            text.erase(at, orc_line.size());
        }
    }
    std::string marker = "@DWARF@";
    for (size_t at; (at = text.find(marker)) != std::string::npos;) {
        text.replace(at, marker.size(), std::to_string(dwarf));
    }
    return text;
}

} // namespace kdive::lab
