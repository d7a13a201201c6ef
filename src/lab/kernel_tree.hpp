// A kernel source tree and the folder it builds into (O=) for one architecture: where .config,
// the boot image (bzImage, arm64's Image), vmlinux and vmlinux-gdb.py are, and how to call its
// make (ARCH= and CROSS_COMPILE= for another architecture than the host's).
#pragma once

#include "lab/boot_kernel.hpp"
#include "lab/kernel_arch.hpp"
#include "support/error.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace kdive::lab {

struct KernelTree {
    std::filesystem::path source;
    std::filesystem::path out; // equal to source for an in-tree build
    KernelArch arch = KernelArch::amd64;

    // Checks that `source` is a kernel tree; an empty `out` means in-tree. Paths become absolute.
    // The architecture is `arch` when given, else the one OUT/.config was made for, else $ARCH
    // as Kbuild would read it, else the host's.
    static Result<KernelTree> open(const std::filesystem::path& source,
                                   const std::filesystem::path& out,
                                   std::optional<KernelArch> arch = std::nullopt);

    bool out_of_tree() const { return out != source; }
    std::filesystem::path config() const { return out / ".config"; }
    // OUT/arch/x86/boot/bzImage, OUT/arch/arm64/boot/Image.
    std::filesystem::path image() const;
    std::filesystem::path vmlinux() const { return out / "vmlinux"; }
    std::filesystem::path gdb_scripts() const { return out / "vmlinux-gdb.py"; }
    // make -C SRC [O=OUT] [ARCH=A CROSS_COMPILE=P] <targets...>: ARCH= whenever the tree's
    // architecture is not the host's or $ARCH is set (so it cannot contradict the tree's), and
    // CROSS_COMPILE= for another architecture unless $CROSS_COMPILE names a toolchain.
    std::vector<std::string> make(const std::vector<std::string>& targets) const;
    // For another architecture, fails naming the cross compiler and its Debian package when
    // it is not installed.
    Result<> check_toolchain() const;
    // "6.1.176" from the top Makefile's VERSION, PATCHLEVEL and SUBLEVEL.
    Result<std::string> version() const;
    // The built image and vmlinux; fails naming what is missing and how to build it.
    Result<BootKernel> built() const;
    // `kdive up --tree SRC [--out OUT]`: the command that boots this build.
    std::string up_command() const;
};

// The architecture a .config was made for (CONFIG_ARM64=y, CONFIG_X86_64=y); nullopt when it
// names neither or cannot be read.
std::optional<KernelArch> config_arch(const std::filesystem::path& config);

} // namespace kdive::lab
