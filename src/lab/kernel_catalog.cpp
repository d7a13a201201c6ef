// Kernel names → Debian suites: the set of kernels every test runs against.
#include "lab/kernel_catalog.hpp"

#include <array>

namespace kdive::lab {

namespace {

constexpr std::array catalog{
    CatalogEntry{"debian-6.1-cloud", "bookworm", "linux-image-cloud-amd64",
                 "linux-image-cloud-amd64-dbg", "Debian 12 cloud kernel (default)"},
    CatalogEntry{"debian-6.12-cloud", "trixie", "linux-image-cloud-amd64",
                 "linux-image-cloud-amd64-dbg", "Debian 13 cloud kernel"},
    CatalogEntry{"debian-5.10-cloud", "bullseye", "linux-image-cloud-amd64",
                 "linux-image-cloud-amd64-dbg", "Debian 11 cloud kernel (oldest supported)"},
    CatalogEntry{"debian-sid-cloud", "sid", "linux-image-cloud-amd64",
                 "linux-image-cloud-amd64-dbg", "Debian unstable cloud kernel (newest)"},
    // arm64, booted under qemu-system-aarch64 -M virt. The metapackages depend on the signed
    // linux-image-<release>; its -unsigned build holds the same Image.
    CatalogEntry{"debian-6.1-cloud-arm64", "bookworm", "linux-image-cloud-arm64",
                 "linux-image-cloud-arm64-dbg", "Debian 12 cloud kernel, arm64", KernelArch::arm64},
    CatalogEntry{"debian-6.12-cloud-arm64", "trixie", "linux-image-cloud-arm64",
                 "linux-image-cloud-arm64-dbg", "Debian 13 cloud kernel, arm64", KernelArch::arm64},
    CatalogEntry{"debian-sid-cloud-arm64", "sid", "linux-image-cloud-arm64",
                 "linux-image-cloud-arm64-dbg", "Debian unstable cloud kernel, arm64",
                 KernelArch::arm64},
};

} // namespace

std::span<const CatalogEntry> KernelCatalog::entries() {
    return catalog;
}

std::string_view KernelCatalog::default_name() {
    return catalog.front().name;
}

Result<CatalogEntry> KernelCatalog::find(std::string_view name) {
    for (const auto& entry : catalog) {
        if (entry.name == name) {
            return entry;
        }
    }
    return fail("unknown kernel '{}': valid names are {}", name, names());
}

std::string KernelCatalog::names() {
    std::string out;
    for (const auto& entry : catalog) {
        if (!out.empty()) {
            out += ", ";
        }
        out += entry.name;
    }
    return out;
}

} // namespace kdive::lab
