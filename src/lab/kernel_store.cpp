// Cache paths for fetched kernels.
#include "lab/kernel_store.hpp"

#include "support/cache_dir.hpp"

namespace kdive::lab {

std::filesystem::path KernelStore::root() {
    return cache_dir() / "kernels";
}

std::filesystem::path KernelStore::dir(std::string_view name) {
    return root() / name;
}

std::string KernelStore::release_name(std::string_view release) {
    return "release-" + std::string(release);
}

std::optional<KernelManifest> KernelStore::fetched(std::string_view name) {
    auto manifest = KernelManifest::read(dir(name) / manifest_file_name);
    if (!manifest || manifest->name != name) {
        return std::nullopt;
    }
    return *manifest;
}

} // namespace kdive::lab
