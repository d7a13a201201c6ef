// kernel.json: what a fetched kernel folder holds and where it came from.
#pragma once

#include "lab/kernel_arch.hpp"
#include "support/error.hpp"

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace kdive::lab {

struct ManifestPackage {
    std::string name;
    std::string version;
    std::uint64_t size = 0; // download size in bytes
};

struct KernelManifest {
    std::string name;
    std::string suite;
    std::string release; // KREL, as in /lib/modules/KREL
    std::string mirror;
    std::string fetched_at; // UTC, ISO 8601
    std::vector<ManifestPackage> packages;
    // The packages' architecture; kernel.json files written before arm64 existed have none and
    // are amd64.
    KernelArch arch = KernelArch::amd64;

    std::string to_json() const;
    static Result<KernelManifest> from_json(std::string_view text);
    static Result<KernelManifest> read(const std::filesystem::path& file);
};

inline constexpr const char* manifest_file_name = "kernel.json";

} // namespace kdive::lab
