// The test kernels kdive can fetch: each name's Debian suite, architecture and metapackages.
#pragma once

#include "lab/kernel_arch.hpp"
#include "support/error.hpp"

#include <span>
#include <string>
#include <string_view>

namespace kdive::lab {

struct CatalogEntry {
    std::string_view name;
    std::string_view suite;
    std::string_view image_package; // metapackage depending on linux-image-<release>
    std::string_view dbg_package;   // metapackage depending on linux-image-<release>-dbg
    std::string_view note;
    KernelArch arch = KernelArch::amd64; // the packages' Debian architecture
};

class KernelCatalog {
public:
    static std::span<const CatalogEntry> entries();
    static std::string_view default_name();
    // Fails naming every valid name when `name` is not in the catalog.
    static Result<CatalogEntry> find(std::string_view name);
    // "a, b, c": for error messages and help text.
    static std::string names();
};

} // namespace kdive::lab
