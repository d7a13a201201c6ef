// Package records as `apt-cache show` prints them (deb822 stanzas).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kdive::lab {

struct PackageRecord {
    std::string name;
    std::string version;
    std::string filename;        // pool path on the mirror
    std::uint64_t size = 0;      // bytes to download
    std::uint64_t installed = 0; // bytes once unpacked (Installed-Size is in KiB)
    // Depends and Pre-Depends: one inner list per comma-separated group, holding the names of
    // its `|` alternatives without version constraints or architecture qualifiers.
    std::vector<std::vector<std::string>> depends;
};

// Every stanza in `text`, in order.
std::vector<PackageRecord> parse_package_records(std::string_view text);

// "a (>= 1) | b:any, c [amd64]" → {{a, b}, {c}}
std::vector<std::vector<std::string>> parse_depends(std::string_view field);

} // namespace kdive::lab
