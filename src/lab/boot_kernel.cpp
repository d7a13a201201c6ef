// Kernel lookup for boot: file paths first, then the fetched-kernel cache.
#include "lab/boot_kernel.hpp"

#include "lab/kernel_layout.hpp"
#include "lab/kernel_store.hpp"
#include "support/file_prefix.hpp"

#include <vector>

namespace kdive::lab {

namespace {

std::optional<KernelArch> vmlinux_arch(const std::filesystem::path& vmlinux) {
    return elf_arch(read_file_prefix(vmlinux, 64));
}

} // namespace

Result<BootKernel> resolve_boot_kernel(const std::string& kernel) {
    std::error_code ec;
    std::filesystem::path as_path(kernel);
    if (std::filesystem::is_regular_file(as_path, ec)) {
        BootKernel found{std::filesystem::absolute(as_path), {}};
        // Beside the image, or at the top of the build folder of OUT/arch/ARCH/boot/IMAGE.
        const auto folder = found.bzimage.parent_path();
        std::vector<std::filesystem::path> candidates{folder / "vmlinux"};
        const auto arch_folder = folder.parent_path();
        if (folder.filename() == "boot" && parse_arch(arch_folder.filename().string()) &&
            arch_folder.parent_path().filename() == "arch") {
            candidates.push_back(arch_folder.parent_path().parent_path() / "vmlinux");
        }
        for (const auto& candidate : candidates) {
            if (std::filesystem::is_regular_file(candidate, ec)) {
                found.vmlinux = candidate;
                break;
            }
        }
        if (auto arch = image_arch(found.bzimage)) {
            found.arch = *arch;
        } else if (auto from_vmlinux =
                       found.vmlinux.empty() ? std::nullopt : vmlinux_arch(found.vmlinux)) {
            found.arch = *from_vmlinux;
        }
        return found;
    }
    if (kernel.find('/') != std::string::npos) {
        return fail("kernel image {} does not exist", kernel);
    }
    auto dir = KernelStore::dir(kernel);
    auto manifest = KernelStore::fetched(kernel);
    const KernelArch arch = manifest ? manifest->arch : KernelArch::amd64;
    const auto image = dir / kernel_image_file(arch);
    if (!std::filesystem::is_regular_file(image, ec)) {
        return fail("kernel '{}' is not fetched (no {}): run `kdive kernel fetch {}`", kernel,
                    image.string(), kernel);
    }
    BootKernel found{image, {}, arch};
    if (std::filesystem::is_regular_file(dir / "vmlinux", ec)) {
        found.vmlinux = dir / "vmlinux";
    }
    return found;
}

} // namespace kdive::lab
