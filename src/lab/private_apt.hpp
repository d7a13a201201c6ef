// An apt configuration of kdive's own (sources, lists, cache, empty status) for one Debian
// release's suites, so any of them can be queried and downloaded without touching the host's apt.
#pragma once

#include "lab/apt_package.hpp"
#include "lab/debian_suites.hpp"
#include "lab/kernel_arch.hpp"
#include "support/error.hpp"

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace kdive::lab {

class PrivateApt {
public:
    // Lays out <root>: lists/, cache/, status. `sources` are the suites to use, the release's
    // own suite first (update_suites); among them apt's candidate, the newest version, wins.
    // `arch` is the one architecture this configuration knows (APT::Architecture and
    // APT::Architectures of its own options; the host's dpkg architectures are not touched):
    // keep one root per architecture, as the lists under it are that architecture's.
    static Result<PrivateApt> prepare(const std::filesystem::path& root,
                                      std::vector<SuiteSource> sources,
                                      KernelArch arch = KernelArch::amd64);

    // Writes sources.list and runs apt-get update; apt's progress goes to stderr. A suite other
    // than the first whose index cannot be fetched is dropped with a line to `note`; the first
    // one failing is an error carrying apt's message.
    Result<> update(const std::function<void(std::string_view)>& note = {});
    // The candidate record for `name`; fails naming the package and suites when there is none.
    Result<PackageRecord> show(const std::string& name) const;
    // Every version of `name` the suites have, newest first (apt's order); empty when none.
    Result<std::vector<PackageRecord>> show_all(const std::string& name) const;
    // apt-get download of the exact versions into `dir`.
    Result<> download(const std::vector<PackageRecord>& packages,
                      const std::filesystem::path& dir) const;

    // The -o options that redirect apt to this configuration.
    std::vector<std::string> options() const;
    // The archive mirror and the release's own suite.
    const std::string& mirror() const { return sources_.front().uri; }
    const std::string& suite() const { return sources_.front().suite; }
    // The suites in use (fewer after update() dropped an unreachable one).
    const std::vector<SuiteSource>& sources() const { return sources_; }
    KernelArch arch() const { return arch_; }

private:
    PrivateApt(std::filesystem::path root, std::vector<SuiteSource> sources, KernelArch arch)
        : root_(std::move(root)), sources_(std::move(sources)), arch_(arch) {}
    std::vector<std::string> command(std::string program, std::vector<std::string> args) const;
    Result<> write_sources() const;
    Result<std::vector<PackageRecord>> run_show(std::vector<std::string> args) const;

    std::filesystem::path root_;
    std::vector<SuiteSource> sources_;
    KernelArch arch_;
};

// Which of `sources` apt's error output (apt-get update's stderr) reports as failing, by
// index: "Failed to fetch URI/dists/SUITE/..." or "repository 'URI SUITE Release' ...".
std::vector<std::size_t> failed_sources(const std::vector<SuiteSource>& sources,
                                        std::string_view apt_errors);

// The keyring the private sources are verified with; it holds every Debian release key.
inline constexpr const char* debian_archive_keyring =
    "/usr/share/keyrings/debian-archive-keyring.gpg";

} // namespace kdive::lab
