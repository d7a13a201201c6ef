// `kdive kernel fetch`: downloads a catalog kernel's or an exact release's packages and builds
// its cache folder atomically (a temporary sibling renamed into place once complete).
#pragma once

#include "lab/kernel_catalog.hpp"
#include "lab/kernel_manifest.hpp"
#include "support/error.hpp"

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

namespace kdive::lab {

struct DebianMirrors;
struct KernelPackages;
struct LocatedKernel;
class PrivateApt;

struct FetchOptions {
    std::string mirror; // empty: the mirror the host's apt sources name
};

struct FetchOutcome {
    KernelManifest manifest;
    std::filesystem::path dir;
    bool already_fetched = false;
};

// Receives one line per step (download, unpack, ...) for the user.
using FetchProgress = std::function<void(std::string_view)>;

class KernelFetcher {
public:
    KernelFetcher(FetchOptions options, FetchProgress progress)
        : options_(std::move(options)), progress_(std::move(progress)) {}

    // A kernel already fetched is a no-op. On failure nothing is left under its name.
    Result<FetchOutcome> fetch(const CatalogEntry& entry);
    // Exactly `release` (as `uname -r` prints it), from whichever Debian suite has it, as the
    // kernel named KernelStore::release_name(release).
    Result<FetchOutcome> fetch_release(const std::string& release);

private:
    using Locate = std::function<Result<LocatedKernel>(const DebianMirrors&)>;
    Result<FetchOutcome> fetch_as(const std::string& name, const Locate& locate);
    Result<FetchOutcome> build(const std::string& name, const Locate& locate,
                               const std::filesystem::path& temp);
    // Downloads the located release, else the newest older one that can be downloaded.
    Result<KernelPackages> download_newest(LocatedKernel& located, const std::string& name,
                                           const std::filesystem::path& debs) const;
    Result<KernelPackages> download(const KernelPackages& packages, const PrivateApt& apt,
                                    const std::string& name,
                                    const std::filesystem::path& debs) const;
    void say(std::string_view line) const;

    FetchOptions options_;
    FetchProgress progress_;
};

} // namespace kdive::lab
