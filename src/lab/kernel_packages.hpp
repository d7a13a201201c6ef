// Which Debian packages make up one kernel: metapackages → linux-image-<release>[-dbg] and the
// release-specific packages they pull in.
#pragma once

#include "lab/apt_package.hpp"
#include "lab/kernel_catalog.hpp"
#include "support/error.hpp"

#include <functional>
#include <optional>
#include <string>
#include <string_view>
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

// The releases the versions of an image metapackage depend on, in the order given (apt lists
// versions newest first), without repeats: a catalog kernel's newest release and its fallbacks.
std::vector<std::string> metapackage_releases(const std::vector<PackageRecord>& versions);

// The packages of exactly `release`: linux-image-<release> (else its -unsigned build, which
// holds the same kernel) and linux-image-<release>-dbg, with their release-named dependencies.
// nullopt when the suites have neither package; an error when they have only one, or builds of
// two versions. `where` names the suites looked in, for the errors.
Result<std::optional<KernelPackages>> resolve_release_packages(const std::string& release,
                                                               const PackageLookup& lookup,
                                                               std::string_view where);

} // namespace kdive::lab
