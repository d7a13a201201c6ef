// `kdive kernel fetch`: downloads a catalog kernel's packages and builds its cache folder
// atomically (a temporary sibling renamed into place once complete).
#pragma once

#include "lab/kernel_catalog.hpp"
#include "lab/kernel_manifest.hpp"
#include "support/error.hpp"

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

namespace kdive::lab {

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

private:
    Result<std::string> choose_mirror() const;
    Result<FetchOutcome> build(const CatalogEntry& entry, const std::filesystem::path& temp);
    void say(std::string_view line) const;

    FetchOptions options_;
    FetchProgress progress_;
};

} // namespace kdive::lab
