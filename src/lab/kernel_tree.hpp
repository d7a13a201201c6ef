// A kernel source tree and the folder it builds into (O=): where .config, bzImage, vmlinux and
// vmlinux-gdb.py are, and how to call its make.
#pragma once

#include "lab/boot_kernel.hpp"
#include "support/error.hpp"

#include <filesystem>
#include <string>
#include <vector>

namespace kdive::lab {

struct KernelTree {
    std::filesystem::path source;
    std::filesystem::path out; // equal to source for an in-tree build

    // Checks that `source` is a kernel tree; an empty `out` means in-tree. Paths become absolute.
    static Result<KernelTree> open(const std::filesystem::path& source,
                                   const std::filesystem::path& out);

    bool out_of_tree() const { return out != source; }
    std::filesystem::path config() const { return out / ".config"; }
    std::filesystem::path bzimage() const { return out / "arch/x86/boot/bzImage"; }
    std::filesystem::path vmlinux() const { return out / "vmlinux"; }
    std::filesystem::path gdb_scripts() const { return out / "vmlinux-gdb.py"; }
    // make -C SRC [O=OUT] <targets...>
    std::vector<std::string> make(const std::vector<std::string>& targets) const;
    // "6.1.176" from the top Makefile's VERSION, PATCHLEVEL and SUBLEVEL.
    Result<std::string> version() const;
    // The built bzImage and vmlinux; fails naming what is missing and how to build it.
    Result<BootKernel> built() const;
    // `kdive up --tree SRC [--out OUT]`: the command that boots this build.
    std::string up_command() const;
};

} // namespace kdive::lab
