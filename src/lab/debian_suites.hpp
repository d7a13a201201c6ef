// Debian's suites as a user's apt sees them: which suites a release updates from, where they
// are served, and which releases may hold a given kernel release.
#pragma once

#include "lab/apt_sources.hpp"
#include "support/error.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace kdive::lab {

// One `deb URI SUITE main` line.
struct SuiteSource {
    std::string uri;
    std::string suite;

    bool operator==(const SuiteSource&) const = default;
};

// The archive (bookworm, bookworm-updates) and the security archive (bookworm-security).
struct DebianMirrors {
    std::string archive;
    std::string security;
};

// Debian's own security archive, used only when the host's sources name none.
inline constexpr const char* default_security_mirror = "http://security.debian.org/debian-security";

// The mirrors the host's apt sources name; `archive_override` (--mirror) replaces the archive.
Result<DebianMirrors> debian_mirrors(const std::vector<AptSourceEntry>& entries,
                                     const HostRelease& release,
                                     const std::string& archive_override);
Result<DebianMirrors> host_debian_mirrors(const std::string& archive_override);

// Every suite a Debian user of `suite` updates from, the suite itself first: bookworm →
// bookworm, bookworm-updates, bookworm-security. Unstable has neither add-on.
std::vector<SuiteSource> update_suites(std::string_view suite, const DebianMirrors& mirrors);

// "bookworm, bookworm-updates, bookworm-security": for messages.
std::string suite_names(const std::vector<SuiteSource>& sources);

// The Debian releases searched for an exact kernel release, the likeliest first: the ABI names
// it ("6.1.0-57-..." is bookworm's 6.1, "6.12.57+deb13-..." trixie's, "6.1.0-0.deb11.21-..." a
// bullseye backport); every other release follows, as a kernel can move between them.
std::vector<std::string> release_search_order(std::string_view kernel_release);

// A kernel release as Debian names packages after it: starts with a digit, then only
// letters, digits and . + ~ - _, at most 100 characters.
bool valid_kernel_release(std::string_view release);

} // namespace kdive::lab
