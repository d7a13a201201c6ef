// Which Debian packages make up one kernel: metapackages → linux-image-<release>[-dbg] and the
// release-specific packages they pull in.
#pragma once

#include "lab/apt_package.hpp"
#include "lab/kernel_catalog.hpp"
#include "support/error.hpp"

#include <functional>
#include <string>
#include <vector>

namespace kdive::lab {

struct KernelPackages {
    std::string release; // KREL, e.g. 6.1.0-37-cloud-amd64
    std::vector<PackageRecord> packages;

    std::uint64_t download_bytes() const;
    std::uint64_t installed_bytes() const;
};

// Looks one package up by name in the kernel's suite; fails naming the package.
using PackageLookup = std::function<Result<PackageRecord>(const std::string& name)>;

// Resolves the image and -dbg metapackages, then follows dependencies whose names contain the
// release: since 7.x Debian splits the image into linux-binary-, linux-modules- and linux-base-.
Result<KernelPackages> resolve_kernel_packages(const CatalogEntry& entry,
                                               const PackageLookup& lookup);

} // namespace kdive::lab
