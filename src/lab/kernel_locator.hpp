// Finds a kernel's Debian packages: a catalog name's newest release across every suite its
// Debian release updates from, or one exact release in whichever Debian release has it.
#pragma once

#include "lab/debian_suites.hpp"
#include "lab/kernel_catalog.hpp"
#include "lab/kernel_packages.hpp"
#include "lab/private_apt.hpp"
#include "support/error.hpp"

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace kdive::lab {

struct LocatedKernel {
    std::string suite; // the Debian release whose suites hold it: bookworm
    PrivateApt apt;    // configured for those suites, its lists fresh
    KernelPackages packages;
    // Older releases of a catalog kernel, newest first, for when a suite lists packages its
    // mirror cannot deliver; empty for an exact release.
    std::vector<std::string> fallback_releases;
};

// Receives one line per step for the user.
using LocateProgress = std::function<void(std::string_view)>;

// <cache>/apt/SUITE: the private apt configuration of one Debian release for amd64;
// <cache>/apt/ARCH/SUITE for another architecture.
std::filesystem::path private_apt_root(std::string_view suite, KernelArch arch = KernelArch::amd64);

// A private apt for `suite` and the suites it updates from, for `arch`'s packages, updated
// (dropping unreachable add-on suites with a note).
Result<PrivateApt> updated_private_apt(std::string_view suite, const DebianMirrors& mirrors,
                                       const LocateProgress& say,
                                       KernelArch arch = KernelArch::amd64);

Result<LocatedKernel> locate_catalog_kernel(const CatalogEntry& entry, const DebianMirrors& mirrors,
                                            const LocateProgress& say);

// Searches release_search_order(release) for the packages of the release's architecture
// (release_arch: "-arm64" releases are arm64); fails naming the release and every suite
// searched when none has it.
Result<LocatedKernel> locate_kernel_release(const std::string& release,
                                            const DebianMirrors& mirrors,
                                            const LocateProgress& say);

} // namespace kdive::lab
