// Kernel names → Debian suites: the set of kernels every test runs against.
#include "lab/kernel_catalog.hpp"

#include <array>

namespace kdive::lab {

namespace {

constexpr std::array kEntries{
    CatalogEntry{"debian-6.1-cloud", "bookworm", "linux-image-cloud-amd64",
                 "linux-image-cloud-amd64-dbg", "Debian 12 cloud kernel (default)"},
    CatalogEntry{"debian-6.12-cloud", "trixie", "linux-image-cloud-amd64",
                 "linux-image-cloud-amd64-dbg", "Debian 13 cloud kernel"},
    CatalogEntry{"debian-5.10-cloud", "bullseye", "linux-image-cloud-amd64",
                 "linux-image-cloud-amd64-dbg", "Debian 11 cloud kernel (oldest supported)"},
    CatalogEntry{"debian-sid-cloud", "sid", "linux-image-cloud-amd64",
                 "linux-image-cloud-amd64-dbg", "Debian unstable cloud kernel (newest)"},
};

} // namespace

std::span<const CatalogEntry> KernelCatalog::entries() {
    return kEntries;
}

std::string_view KernelCatalog::default_name() {
    return kEntries.front().name;
}

Result<CatalogEntry> KernelCatalog::find(std::string_view name) {
    for (const auto& entry : kEntries) {
        if (entry.name == name) {
            return entry;
        }
    }
    return fail("unknown kernel '{}': valid names are {}", name, names());
}

std::string KernelCatalog::names() {
    std::string out;
    for (const auto& entry : kEntries) {
        if (!out.empty()) {
            out += ", ";
        }
        out += entry.name;
    }
    return out;
}

} // namespace kdive::lab
