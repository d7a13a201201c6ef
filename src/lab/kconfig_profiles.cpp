// Profile fragments, compiled in so the kdive binary needs no data files beside it.
#include "lab/kconfig_profiles.hpp"

#include <array>
#include <fmt/format.h>

namespace kdive::lab {

namespace {

// What a kernel must have to be debugged the recipe's way (both profiles).
constexpr std::string_view kDebugOptions =
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
constexpr std::string_view kTinyOptions =
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
constexpr std::string_view kDebugExtra =
    R"(# kdive profile "debug": the tree's config + the recipe's options
CONFIG_BLK_DEV_INITRD=y
CONFIG_FW_CFG_SYSFS=y
CONFIG_KEXEC=y
)";

struct ProfileText {
    KconfigProfile profile;
    std::string_view head;
};

const std::array kProfiles{
    ProfileText{{"tiny", "tinyconfig", kDebugOptions}, kTinyOptions},
    ProfileText{{"debug", "", kDebugOptions}, kDebugExtra},
};

} // namespace

Result<KconfigProfile> find_kconfig_profile(std::string_view name) {
    for (const auto& p : kProfiles) {
        if (p.profile.name == name) {
            return p.profile;
        }
    }
    return fail("unknown kconfig profile '{}' (known: tiny, debug)", name);
}

std::string kconfig_profile_text(const KconfigProfile& profile, int dwarf) {
    std::string text;
    for (const auto& p : kProfiles) {
        if (p.profile.name == profile.name) {
            text = std::string(p.head) + std::string(p.profile.fragment);
        }
    }
    std::string marker = "@DWARF@";
    for (size_t at; (at = text.find(marker)) != std::string::npos;) {
        text.replace(at, marker.size(), std::to_string(dwarf));
    }
    return text;
}

} // namespace kdive::lab
