// Reads the host's apt sources (one-line and deb822 formats) to find its Debian mirror.
#pragma once

#include "support/error.hpp"

#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace kdive::lab {

// One source entry; a one-line entry has exactly one type, URI and suite.
struct AptSourceEntry {
    std::vector<std::string> types; // deb, deb-src
    std::vector<std::string> uris;
    std::vector<std::string> suites;
    std::vector<std::string> components;
    std::map<std::string, std::string> options; // lower-case keys: signed-by, arch, ...
};

struct HostRelease {
    std::string id;       // os-release ID: debian, ubuntu, ...
    std::string codename; // VERSION_CODENAME, may be empty (sid)
};

class AptSources {
public:
    // `deb [opt=value ...] URI SUITE COMPONENT...` lines; comments and blank lines ignored.
    static std::vector<AptSourceEntry> parse_one_line(std::string_view text);
    // deb822 paragraphs (Types:, URIs:, Suites:, Components:, Enabled:, options).
    static std::vector<AptSourceEntry> parse_deb822(std::string_view text);
    static HostRelease parse_os_release(std::string_view text);

    // Every entry of <root>/etc/apt/sources.list, sources.list.d/*.list and *.sources.
    static std::vector<AptSourceEntry> read_host(const std::filesystem::path& root = "/");
    static HostRelease read_host_release(const std::filesystem::path& root = "/");

    // The URI serving the host's main Debian suite (its codename, not -updates/-security).
    static Result<std::string> debian_mirror(const std::vector<AptSourceEntry>& entries,
                                             const HostRelease& release);
    // The URI serving the host's security suite (<codename>-security, else any *-security);
    // empty when the host names none.
    static std::string security_mirror(const std::vector<AptSourceEntry>& entries,
                                       const HostRelease& release);
};

} // namespace kdive::lab
