// An apt configuration of kdive's own (sources, lists, cache, empty status) for one Debian suite,
// so any suite can be queried and downloaded without touching the host's apt setup.
#pragma once

#include "lab/apt_package.hpp"
#include "support/error.hpp"

#include <filesystem>
#include <string>
#include <vector>

namespace kdive::lab {

class PrivateApt {
public:
    // Lays out <root>: sources.list naming `mirror` `suite` main, lists/, cache/, status.
    static Result<PrivateApt> prepare(const std::filesystem::path& root, std::string mirror,
                                      std::string suite);

    // apt-get update; apt's progress goes to stderr, its error message into the Error.
    Result<> update() const;
    // The suite's record for `name`; fails naming the package and suite when there is none.
    Result<PackageRecord> show(const std::string& name) const;
    // apt-get download of the exact versions into `dir`.
    Result<> download(const std::vector<PackageRecord>& packages,
                      const std::filesystem::path& dir) const;

    // The -o options that redirect apt to this configuration.
    std::vector<std::string> options() const;
    const std::string& mirror() const { return mirror_; }
    const std::string& suite() const { return suite_; }

private:
    PrivateApt(std::filesystem::path root, std::string mirror, std::string suite)
        : root_(std::move(root)), mirror_(std::move(mirror)), suite_(std::move(suite)) {}
    std::vector<std::string> command(std::string program, std::vector<std::string> args) const;

    std::filesystem::path root_;
    std::string mirror_;
    std::string suite_;
};

// The keyring the private sources are verified with; it holds every Debian release key.
inline constexpr const char* debian_archive_keyring =
    "/usr/share/keyrings/debian-archive-keyring.gpg";

} // namespace kdive::lab
