// Catalog kernels take apt's candidate across the suites (the newest version); an exact
// release is looked up by its package names, one Debian release after another.
#include "lab/kernel_locator.hpp"

#include "support/cache_dir.hpp"

#include <fmt/format.h>

namespace kdive::lab {

std::filesystem::path private_apt_root(std::string_view suite, KernelArch arch) {
    // amd64 keeps the folder it had before kdive knew other architectures.
    if (arch == KernelArch::amd64) {
        return cache_dir() / "apt" / suite;
    }
    return cache_dir() / "apt" / arch_name(arch) / suite;
}

Result<PrivateApt> updated_private_apt(std::string_view suite, const DebianMirrors& mirrors,
                                       const LocateProgress& say, KernelArch arch) {
    auto apt =
        PrivateApt::prepare(private_apt_root(suite, arch), update_suites(suite, mirrors), arch);
    if (!apt) {
        return std::unexpected(apt.error());
    }
    if (say) {
        say(fmt::format("updating package lists of Debian {} ({})", suite_names(apt->sources()),
                        arch_name(arch)));
    }
    if (auto updated = apt->update(say); !updated) {
        return std::unexpected(updated.error());
    }
    return apt;
}

Result<LocatedKernel> locate_catalog_kernel(const CatalogEntry& entry, const DebianMirrors& mirrors,
                                            const LocateProgress& say) {
    auto apt = updated_private_apt(entry.suite, mirrors, say, entry.arch);
    if (!apt) {
        return std::unexpected(apt.error());
    }
    auto resolved =
        resolve_kernel_packages(entry, [&apt](const std::string& name) { return apt->show(name); });
    if (!resolved) {
        return std::unexpected(resolved.error());
    }
    std::vector<std::string> fallbacks;
    if (auto versions = apt->show_all(std::string(entry.image_package))) {
        for (auto& release : metapackage_releases(*versions)) {
            if (release != resolved->release) {
                fallbacks.push_back(std::move(release));
            }
        }
    }
    return LocatedKernel{std::string(entry.suite), std::move(*apt), std::move(*resolved),
                         std::move(fallbacks)};
}

Result<LocatedKernel> locate_kernel_release(const std::string& release,
                                            const DebianMirrors& mirrors,
                                            const LocateProgress& say) {
    if (!valid_kernel_release(release)) {
        return fail_as(ErrorKind::invalid_input,
                       "'{}' is not a kernel release (like 6.1.0-57-cloud-amd64, as `uname -r` "
                       "prints it)",
                       release);
    }
    const KernelArch arch = release_arch(release);
    std::string searched;
    std::string not_updated;
    for (const auto& suite : release_search_order(release)) {
        auto apt = updated_private_apt(suite, mirrors, say, arch);
        if (!apt) {
            // One Debian release's mirror being down must not hide the others.
            if (say) {
                say(fmt::format("skipping Debian {}: {}", suite, apt.error().message));
            }
            not_updated += fmt::format("\n  {}: {}", suite, apt.error().message);
            continue;
        }
        const std::string where = suite_names(apt->sources());
        searched += searched.empty() ? where : ", " + where;
        auto found = resolve_release_packages(
            release, [&apt](const std::string& name) { return apt->show(name); }, where);
        if (!found) {
            return std::unexpected(found.error());
        }
        if (*found) {
            return LocatedKernel{suite, std::move(*apt), std::move(**found), {}};
        }
    }
    if (searched.empty()) {
        return fail("kernel release {}: no Debian suite could be searched:{}", release,
                    not_updated);
    }
    return fail_as(ErrorKind::invalid_input,
                   "no Debian suite has kernel release {} (no linux-image-{} package): searched "
                   "{}{}{}",
                   release, release, searched,
                   not_updated.empty() ? "" : "; could not update:", not_updated);
}

} // namespace kdive::lab
