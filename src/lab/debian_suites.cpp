// The suite list follows Debian's own sources.list for a release: the archive's suite and
// -updates, and -security from the security archive (named <suite>-security since bullseye).
#include "lab/debian_suites.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace kdive::lab {

namespace {

struct DebianRelease {
    std::string_view codename;
    std::string_view number; // the N of "+debN" / ".debN." in its kernels' ABI names
    std::string_view series; // the upstream series its "X.Y.0-N" kernels have
};

// Oldest first; sid's kernels carry the number of the release under development.
constexpr std::array known_releases{
    DebianRelease{"bullseye", "11", "5.10"},
    DebianRelease{"bookworm", "12", "6.1"},
    DebianRelease{"trixie", "13", "6.12"},
    DebianRelease{"sid", "14", ""},
};

bool has_add_on_suites(std::string_view suite) {
    return suite != "sid" && suite != "unstable" && suite != "experimental";
}

// "6.12.57+deb13-cloud-amd64" and "6.1.0-0.deb11.21-amd64" → "13", "11"; else empty.
std::string_view abi_release_number(std::string_view release) {
    for (std::size_t at = release.find("deb"); at != std::string_view::npos;
         at = release.find("deb", at + 1)) {
        if (at == 0 || (release[at - 1] != '+' && release[at - 1] != '.')) {
            continue;
        }
        std::size_t end = at + 3;
        while (end < release.size() && std::isdigit(static_cast<unsigned char>(release[end]))) {
            ++end;
        }
        if (end > at + 3) {
            return release.substr(at + 3, end - at - 3);
        }
    }
    return {};
}

// "6.1.0-57-cloud-amd64" → "6.1".
std::string_view upstream_series(std::string_view release) {
    std::size_t first = release.find('.');
    if (first == std::string_view::npos) {
        return {};
    }
    std::size_t second = release.find_first_not_of("0123456789", first + 1);
    return release.substr(0, second);
}

} // namespace

Result<DebianMirrors> debian_mirrors(const std::vector<AptSourceEntry>& entries,
                                     const HostRelease& release,
                                     const std::string& archive_override) {
    DebianMirrors mirrors;
    if (!archive_override.empty()) {
        mirrors.archive = archive_override;
    } else {
        auto archive = AptSources::debian_mirror(entries, release);
        if (!archive) {
            return std::unexpected(archive.error());
        }
        mirrors.archive = *archive;
    }
    mirrors.security = AptSources::security_mirror(entries, release);
    if (mirrors.security.empty()) {
        mirrors.security = default_security_mirror;
    }
    return mirrors;
}

Result<DebianMirrors> host_debian_mirrors(const std::string& archive_override) {
    return debian_mirrors(AptSources::read_host(), AptSources::read_host_release(),
                          archive_override);
}

std::vector<SuiteSource> update_suites(std::string_view suite, const DebianMirrors& mirrors) {
    std::vector<SuiteSource> sources{{mirrors.archive, std::string(suite)}};
    if (has_add_on_suites(suite)) {
        sources.push_back({mirrors.archive, std::string(suite) + "-updates"});
        sources.push_back({mirrors.security, std::string(suite) + "-security"});
    }
    return sources;
}

std::string suite_names(const std::vector<SuiteSource>& sources) {
    std::string out;
    for (const auto& source : sources) {
        out += out.empty() ? "" : ", ";
        out += source.suite;
    }
    return out;
}

std::vector<std::string> release_search_order(std::string_view kernel_release) {
    const std::string_view number = abi_release_number(kernel_release);
    const std::string_view series = upstream_series(kernel_release);
    auto likely = [&](const DebianRelease& r) {
        return number.empty() ? !r.series.empty() && r.series == series : r.number == number;
    };
    std::vector<std::string> order;
    for (const auto& r : known_releases) {
        if (likely(r)) {
            order.emplace_back(r.codename);
        }
    }
    for (const auto& r : known_releases) {
        if (!likely(r)) {
            order.emplace_back(r.codename);
        }
    }
    return order;
}

bool valid_kernel_release(std::string_view release) {
    if (release.empty() || release.size() > 100 ||
        !std::isdigit(static_cast<unsigned char>(release.front()))) {
        return false;
    }
    return std::all_of(release.begin(), release.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '+' || c == '~' ||
               c == '-' || c == '_';
    });
}

} // namespace kdive::lab
