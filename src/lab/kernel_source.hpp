// `kdive kernel source`: Debian's linux-source packages, unpacked once into the cache.
#pragma once

#include "support/error.hpp"

#include <filesystem>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace kdive::lab {

struct SourceEntry {
    std::string_view name;    // debian-6.1
    std::string_view suite;   // bookworm
    std::string_view package; // linux-source-6.1
};

struct SourceOutcome {
    std::filesystem::path tree;
    std::string package_version; // Debian's version of the source package
    bool already_fetched = false;
};

class KernelSources {
public:
    static std::span<const SourceEntry> entries();
    static Result<SourceEntry> find(std::string_view name);
    static std::string names();
    // <cache>/sources/NAME: the unpacked tree itself (Makefile at its top).
    static std::filesystem::path tree(std::string_view name);
    // The tree when it was completely unpacked; it only gets its name once complete.
    static std::optional<std::filesystem::path> fetched(std::string_view name);
    // The source entry whose upstream series (6.1, 6.12) matches a kernel release such as
    // "6.1.0-50-cloud-amd64" or "6.12.117+deb13-cloud-amd64".
    static std::optional<SourceEntry> for_release(std::string_view release);
};

// The unpacked linux-source tree for a vmlinux kdive fetched (<cache>/kernels/NAME/vmlinux),
// matched by release; `note` says when the tree's version is not the kernel's. nullopt for
// other vmlinux files or when no tree of that series is in the cache.
// "6.1.176-1" → "6.1.176": the upstream part of a Debian package version.
inline std::string upstream_version(std::string_view version) {
    return std::string(version.substr(0, version.find_first_of("-+~")));
}

struct SourceTreeMatch {
    std::filesystem::path tree;
    std::string note;
    // Where Debian built the kernel ("/build/reproducible-path/linux-6.1.176"): the debug
    // info's paths start with it, for GDB's substitute-path.
    std::string build_prefix;
};
std::optional<SourceTreeMatch> source_tree_for_vmlinux(const std::filesystem::path& vmlinux);

// Downloads the package and unpacks its tarball. A second call is a no-op; an interrupted one
// leaves nothing under the final name.
Result<SourceOutcome> fetch_kernel_source(const SourceEntry& entry, const std::string& mirror,
                                          const std::function<void(std::string_view)>& progress);

} // namespace kdive::lab
