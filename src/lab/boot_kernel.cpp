// Kernel lookup for boot: file paths first, then the fetched-kernel cache.
#include "lab/boot_kernel.hpp"

#include "support/cache_dir.hpp"

namespace kdive::lab {

Result<BootKernel> resolve_boot_kernel(const std::string& kernel) {
    std::error_code ec;
    std::filesystem::path as_path(kernel);
    if (std::filesystem::is_regular_file(as_path, ec)) {
        BootKernel found{std::filesystem::absolute(as_path), {}};
        auto beside = as_path.parent_path() / "vmlinux";
        if (std::filesystem::is_regular_file(beside, ec)) {
            found.vmlinux = std::filesystem::absolute(beside);
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
