// Where fetched kernels live in the cache and which of them are complete.
#pragma once

#include "lab/kernel_manifest.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace kdive::lab {

class KernelStore {
public:
    // <cache>/kernels, from kdive::cache_dir().
    static std::filesystem::path root();
    static std::filesystem::path dir(std::string_view name);
    // The name `kernel fetch --release R` gives: release-R.
    static std::string release_name(std::string_view release);
    // The manifest of a completely fetched kernel; nullopt when absent or unreadable. A folder
    // only gets its final name once the fetch finished, and the manifest is written last.
    static std::optional<KernelManifest> fetched(std::string_view name);
};

} // namespace kdive::lab
