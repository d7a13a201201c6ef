// Kernel lookup for boot: file paths first, then the fetched-kernel cache.
#include "lab/boot_kernel.hpp"

#include "support/cache_dir.hpp"

#include <vector>

namespace kdive::lab {

Result<BootKernel> resolve_boot_kernel(const std::string& kernel) {
    std::error_code ec;
    std::filesystem::path as_path(kernel);
    if (std::filesystem::is_regular_file(as_path, ec)) {
        BootKernel found{std::filesystem::absolute(as_path), {}};
        // Beside the image, or at the top of the build folder of OUT/arch/x86/boot/bzImage.
        const auto folder = found.bzimage.parent_path();
        std::vector<std::filesystem::path> candidates{folder / "vmlinux"};
        if (folder.filename() == "boot" && folder.parent_path().filename() == "x86" &&
            folder.parent_path().parent_path().filename() == "arch") {
            candidates.push_back(folder.parent_path().parent_path().parent_path() / "vmlinux");
        }
        for (const auto& candidate : candidates) {
            if (std::filesystem::is_regular_file(candidate, ec)) {
                found.vmlinux = candidate;
                break;
            }
        }
        return found;
    }
    if (kernel.find('/') != std::string::npos) {
        return fail("kernel image {} does not exist", kernel);
    }
    auto dir = cache_dir() / "kernels" / kernel;
    if (!std::filesystem::is_regular_file(dir / "bzImage", ec)) {
        return fail("kernel '{}' is not fetched (no {}): run `kdive kernel fetch {}`", kernel,
                    (dir / "bzImage").string(), kernel);
    }
    BootKernel found{dir / "bzImage", {}};
    if (std::filesystem::is_regular_file(dir / "vmlinux", ec)) {
        found.vmlinux = dir / "vmlinux";
    }
    return found;
}

} // namespace kdive::lab
