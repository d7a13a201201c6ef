// Dependency walk from the cloud metapackages to the concrete, release-named packages.
#include "lab/kernel_packages.hpp"

#include <algorithm>
#include <cctype>
#include <deque>
#include <set>

namespace kdive::lab {

namespace {

constexpr std::string_view image_prefix = "linux-image-";

// The versioned image a metapackage depends on: linux-image-<release>[suffix].
std::string release_from_meta(const PackageRecord& meta, std::string_view suffix) {
    for (const auto& group : meta.depends) {
        for (const auto& name : group) {
            if (!name.starts_with(image_prefix) || name == meta.name || !name.ends_with(suffix)) {
                continue;
            }
            std::string release =
                name.substr(image_prefix.size(), name.size() - image_prefix.size() - suffix.size());
            // The release always starts with the kernel version (6.1.0-37-..., 7.2.13+deb14-...).
            if (!release.empty() && std::isdigit(static_cast<unsigned char>(release.front()))) {
                return release;
            }
        }
    }
    return {};
}

// Looks up `roots` and every dependency whose name contains the release, breadth first.
Result<> add_release_packages(KernelPackages& result, std::vector<std::string> roots,
                              const PackageLookup& lookup) {
    const std::string& release = result.release;
    std::deque<std::string> pending(roots.begin(), roots.end());
    std::set<std::string> seen(pending.begin(), pending.end());
    while (!pending.empty()) {
        std::string name = std::move(pending.front());
        pending.pop_front();
        auto record = lookup(name);
        if (!record) {
            return std::unexpected(record.error());
        }
        for (const auto& group : record->depends) {
            for (const auto& dep : group) {
                if (dep.find(release) != std::string::npos && seen.insert(dep).second) {
                    pending.push_back(dep);
                }
            }
        }
        result.packages.push_back(std::move(*record));
    }
    return {};
}

} // namespace

std::uint64_t KernelPackages::download_bytes() const {
    std::uint64_t total = 0;
    for (const auto& p : packages) {
        total += p.size;
    }
    return total;
}

std::uint64_t KernelPackages::installed_bytes() const {
    std::uint64_t total = 0;
    for (const auto& p : packages) {
        total += p.installed;
    }
    return total;
}

Result<KernelPackages> resolve_kernel_packages(const CatalogEntry& entry,
                                               const PackageLookup& lookup) {
    auto meta = lookup(std::string(entry.image_package));
    if (!meta) {
        return std::unexpected(meta.error());
    }
    KernelPackages result;
    result.release = release_from_meta(*meta, "");
    if (result.release.empty()) {
        return fail("{} {} in {} depends on no linux-image-<release> package", meta->name,
                    meta->version, entry.suite);
    }
    auto dbg_meta = lookup(std::string(entry.dbg_package));
    if (!dbg_meta) {
        return std::unexpected(dbg_meta.error());
    }
    std::string dbg_release = release_from_meta(*dbg_meta, "-dbg");
    if (dbg_release != result.release) {
        return fail("{} in {} points at release '{}' but {} at '{}': the suite is mid-update, "
                    "try again later",
                    entry.dbg_package, entry.suite, dbg_release, entry.image_package,
                    result.release);
    }

    if (auto walked = add_release_packages(result,
                                           {std::string(image_prefix) + result.release,
                                            std::string(image_prefix) + result.release + "-dbg"},
                                           lookup);
        !walked) {
        return std::unexpected(walked.error());
    }
    return result;
}

std::vector<std::string> metapackage_releases(const std::vector<PackageRecord>& versions) {
    std::vector<std::string> releases;
    for (const auto& meta : versions) {
        std::string release = release_from_meta(meta, "");
        if (!release.empty() &&
            std::find(releases.begin(), releases.end(), release) == releases.end()) {
            releases.push_back(std::move(release));
        }
    }
    return releases;
}

Result<std::optional<KernelPackages>> resolve_release_packages(const std::string& release,
                                                               const PackageLookup& lookup,
                                                               std::string_view where) {
    const std::string image = std::string(image_prefix) + release;
    const std::string dbg = image + "-dbg";
    auto dbg_record = lookup(dbg);
    auto image_record = lookup(image);
    if (!image_record) {
        image_record = lookup(image + "-unsigned");
    }
    if (!image_record && !dbg_record) {
        return std::nullopt;
    }
    if (!image_record) {
        return fail("found {} {} but neither {} nor {}-unsigned in {}", dbg, dbg_record->version,
                    image, image, where);
    }
    if (!dbg_record) {
        return fail("found {} {} but not its debug info {} in {}: Debian no longer ships it",
                    image_record->name, image_record->version, dbg, where);
    }
    if (dbg_record->version != image_record->version) {
        return fail("found {} {} but {} {} in {}: the suites are mid-update, try again later",
                    image_record->name, image_record->version, dbg, dbg_record->version, where);
    }
    KernelPackages result;
    result.release = release;
    if (auto walked = add_release_packages(result, {image_record->name, dbg}, lookup); !walked) {
        return std::unexpected(walked.error());
    }
    return result;
}

} // namespace kdive::lab
