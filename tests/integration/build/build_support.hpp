// Shared by the build tests: the source tree `kdive kernel source` prints as its last line, and
// the tiny kernels built from it.
#pragma once

#include "lab/kconfig_profiles.hpp"
#include "lab/kernel_tree.hpp"
#include "support/cache_dir.hpp"
#include "support/subprocess.hpp"
#include "test_vm.hpp"

#include <cstdint>
#include <filesystem>
#include <fmt/format.h>
#include <string>
#include <vector>

namespace kdive::testing {

inline Result<std::string> last_line(const std::string& text) {
    auto end = text.find_last_not_of('\n');
    if (end == std::string::npos) {
        return fail("no output");
    }
    auto start = text.rfind('\n', end);
    return text.substr(start == std::string::npos ? 0 : start + 1,
                       end - (start == std::string::npos ? 0 : start + 1) + 1);
}

inline Result<std::string> debian_61_source() {
    auto out = run_kdive({"kernel", "source", "debian-6.1"});
    if (!out) {
        return std::unexpected(out.error());
    }
    return last_line(*out);
}

// The tiny profile (plus `sets`, each CONFIG_X=V; for `arch`, "amd64" or "arm64" cross-built)
// configured and built from `tree` once per machine: the folder under ~/.cache/kdive/builds is
// named by source version, profile text, sets and a hash of the code that configures and builds it,
// and `kdive build` marks it complete only after a successful build.
inline Result<std::filesystem::path> tiny_build(const std::string& tree,
                                                const std::vector<std::string>& sets = {},
                                                const std::string& arch = "amd64") {
    auto kernel_tree = lab::KernelTree::open(tree, {});
    if (!kernel_tree) {
        return std::unexpected(kernel_tree.error());
    }
    auto version = kernel_tree->version();
    if (!version) {
        return std::unexpected(version.error());
    }
    auto profile = lab::find_kconfig_profile("tiny");
    if (!profile) {
        return std::unexpected(profile.error());
    }
    std::uint32_t hash = 2166136261u; // FNV-1a
    const auto mix = [&](std::string_view text) {
        for (char c : text) {
            hash = (hash ^ static_cast<unsigned char>(c)) * 16777619u;
        }
    };
    mix(lab::kconfig_profile_text(*profile, 5));
    mix(KDIVE_BUILD_CODE_HASH); // the kconfig and build code's own version

    std::vector<std::string> configure{KDIVE_BINARY, "kconfig",   "--tree",
                                       tree,         "--profile", "tiny"};
    for (const auto& set : sets) {
        mix("\n" + set);
        configure.insert(configure.end(), {"--set", set});
    }
    if (arch != "amd64") {
        mix("\narch " + arch); // amd64 builds keep the names they were cached under
        configure.insert(configure.end(), {"--arch", arch});
    }
    const std::filesystem::path out =
        cache_dir() / "builds" / fmt::format("{}-tiny-{:08x}", *version, hash);
    if (std::filesystem::exists(out / ".kdive-build-objects") &&
        std::filesystem::exists(out / "vmlinux-gdb.py")) {
        return out;
    }
    configure.insert(configure.end(), {"--out", out.string()});
    RunOptions options;
    options.timeout = std::chrono::minutes(45);
    if (auto configured = run_checked(configure, options); !configured) {
        return std::unexpected(configured.error());
    }
    auto built = run_checked(
        {KDIVE_BINARY, "build", "--tree", tree, "--out", out.string(), "-j", "2"}, options);
    if (!built) {
        return std::unexpected(built.error());
    }
    return out;
}

} // namespace kdive::testing
