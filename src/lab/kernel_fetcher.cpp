// Fetch workflow: lock, mirrors, locate the packages, space check, download, unpack, rename.
#include "lab/kernel_fetcher.hpp"

#include "lab/deb_unpacker.hpp"
#include "lab/debian_suites.hpp"
#include "lab/disk_space.hpp"
#include "lab/fetch_lock.hpp"
#include "lab/kernel_layout.hpp"
#include "lab/kernel_locator.hpp"
#include "lab/kernel_store.hpp"
#include "support/atomic_file.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <fmt/format.h>
#include <unistd.h>

namespace kdive::lab {

namespace fs = std::filesystem;

namespace {

// Unpacking turns each downloaded byte into about five (xz-compressed debug info), and the
// .deb is still on disk while it is unpacked.
constexpr std::uint64_t space_factor = 6;

std::string utc_now() {
    std::time_t now = std::time(nullptr);
    std::tm parts{};
    gmtime_r(&now, &parts);
    std::array<char, 32> text{};
    if (std::strftime(text.data(), text.size(), "%Y-%m-%dT%H:%M:%SZ", &parts) == 0) {
        return {};
    }
    return text.data();
}

std::uint64_t tree_size(const fs::path& dir) {
    std::uint64_t total = 0;
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(dir, ec);
         it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (it->is_regular_file(ec) && !it->is_symlink(ec)) {
            total += it->file_size(ec);
        }
    }
    return total;
}

// "E: Failed to fetch URL  404  Not Found" out of a multi-line apt failure, for a one-line note.
std::string apt_error_line(const std::string& message) {
    std::size_t at = message.find("E: ");
    if (at == std::string::npos) {
        return message.substr(0, message.find('\n'));
    }
    return message.substr(at, message.find('\n', at) - at);
}

} // namespace

void KernelFetcher::say(std::string_view line) const {
    if (progress_) {
        progress_(line);
    }
}

Result<FetchOutcome> KernelFetcher::fetch(const CatalogEntry& entry) {
    return fetch_as(std::string(entry.name), [this, &entry](const DebianMirrors& mirrors) {
        say(fmt::format("fetching {} ({}) from Debian {} at {} (security updates: {})", entry.name,
                        arch_name(entry.arch), entry.suite, mirrors.archive, mirrors.security));
        return locate_catalog_kernel(entry, mirrors, progress_);
    });
}

Result<FetchOutcome> KernelFetcher::fetch_release(const std::string& release) {
    if (!valid_kernel_release(release)) {
        return fail_as(ErrorKind::invalid_input,
                       "'{}' is not a kernel release (like 6.1.0-57-cloud-amd64, as `uname -r` "
                       "prints it)",
                       release);
    }
    return fetch_as(KernelStore::release_name(release),
                    [this, &release](const DebianMirrors& mirrors) {
                        say(fmt::format("looking for kernel release {} at {} (security updates: "
                                        "{})",
                                        release, mirrors.archive, mirrors.security));
                        return locate_kernel_release(release, mirrors, progress_);
                    });
}

Result<FetchOutcome> KernelFetcher::fetch_as(const std::string& name, const Locate& locate) {
    if (auto done = KernelStore::fetched(name)) {
        return FetchOutcome{*done, KernelStore::dir(name), true};
    }
    std::error_code ec;
    fs::create_directories(KernelStore::root(), ec);
    if (ec) {
        return fail("creating {}: {}", KernelStore::root().string(), ec.message());
    }
    auto lock = FetchLock::acquire(KernelStore::root() / fmt::format(".{}.lock", name), progress_);
    if (!lock) {
        return std::unexpected(lock.error());
    }
    // Another process may have finished the same fetch while we waited.
    if (auto done = KernelStore::fetched(name)) {
        return FetchOutcome{*done, KernelStore::dir(name), true};
    }
    // Safe while we hold the lock: no other fetch of this kernel is running.
    remove_leftovers(KernelStore::root(), temp_prefix(name));
    TempFolder temp(KernelStore::root() / (temp_prefix(name) + std::to_string(getpid())));
    auto outcome = build(name, locate, temp.path());
    if (!outcome) {
        return outcome;
    }
    // A folder under the final name without a manifest is an older incomplete copy.
    fs::remove_all(outcome->dir, ec);
    fs::rename(temp.path(), outcome->dir, ec);
    if (ec) {
        return fail("moving {} to {}: {}", temp.path().string(), outcome->dir.string(),
                    ec.message());
    }
    return outcome;
}

Result<KernelPackages> KernelFetcher::download(const KernelPackages& packages,
                                               const PrivateApt& apt, const std::string& name,
                                               const fs::path& debs) const {
    std::uint64_t bytes = packages.download_bytes();
    std::uint64_t needed = std::max(bytes * space_factor, bytes + packages.installed_bytes());
    if (auto space = require_free_space(
            KernelStore::root(), needed,
            fmt::format("fetching {} ({} to download)", name, human_size(bytes)));
        !space) {
        return std::unexpected(space.error());
    }
    std::string package_names;
    for (const auto& p : packages.packages) {
        package_names += fmt::format("\n  {} {} ({})", p.name, p.version, human_size(p.size));
    }
    say(fmt::format("release {}: downloading {} packages, {}{}", packages.release,
                    packages.packages.size(), human_size(bytes), package_names));
    std::error_code ec;
    fs::remove_all(debs, ec); // what a failed earlier candidate left
    fs::create_directories(debs, ec);
    if (ec) {
        return fail("creating {}: {}", debs.string(), ec.message());
    }
    if (auto done = apt.download(packages.packages, debs); !done) {
        return std::unexpected(done.error());
    }
    return packages;
}

Result<KernelPackages> KernelFetcher::download_newest(LocatedKernel& located,
                                                      const std::string& name,
                                                      const fs::path& debs) const {
    auto newest = download(located.packages, located.apt, name, debs);
    if (newest) {
        return newest;
    }
    // A suite's index can name a package its mirror does not (yet, or any longer) serve.
    std::string failed = located.packages.release;
    std::string reason = apt_error_line(newest.error().message);
    for (const auto& release : located.fallback_releases) {
        auto older = resolve_release_packages(
            release, [&located](const std::string& n) { return located.apt.show(n); },
            suite_names(located.apt.sources()));
        if (!older || !*older) {
            continue;
        }
        say(fmt::format("release {} cannot be downloaded ({}); taking the newest older one, {}",
                        failed, reason, release));
        auto done = download(**older, located.apt, name, debs);
        if (done) {
            return done;
        }
        failed = release;
        reason = apt_error_line(done.error().message);
    }
    return newest;
}

Result<FetchOutcome> KernelFetcher::build(const std::string& name, const Locate& locate,
                                          const fs::path& temp) {
    auto started = std::chrono::steady_clock::now();
    auto mirrors = host_debian_mirrors(options_.mirror);
    if (!mirrors) {
        return std::unexpected(mirrors.error());
    }
    auto located = locate(*mirrors);
    if (!located) {
        return std::unexpected(located.error());
    }
    fs::path debs = temp / ".scratch" / "debs";
    fs::path unpacked = temp / ".scratch" / "root";
    auto downloaded = download_newest(*located, name, debs);
    if (!downloaded) {
        return std::unexpected(downloaded.error());
    }
    const KernelPackages& resolved = *downloaded;
    std::error_code ec;

    std::vector<fs::path> files;
    for (const auto& item : fs::directory_iterator(debs, ec)) {
        if (item.path().extension() == ".deb") {
            files.push_back(item.path());
        }
    }
    std::sort(files.begin(), files.end());
    if (files.size() != resolved.packages.size()) {
        return fail("apt-get download left {} .deb files in {}, expected {}", files.size(),
                    debs.string(), resolved.packages.size());
    }
    auto members = kernel_layout_members(resolved.release);
    for (size_t i = 0; i < files.size(); ++i) {
        say(fmt::format("unpacking {} ({}/{})", files[i].filename().string(), i + 1, files.size()));
        if (auto done = unpack_deb_members(files[i], unpacked, members); !done) {
            return std::unexpected(done.error());
        }
        fs::remove(files[i], ec); // the unpacked files are what we keep; free the space now
    }
    const KernelArch arch = located->apt.arch();
    if (auto laid_out = assemble_kernel_layout(unpacked, resolved.release, temp, arch); !laid_out) {
        return std::unexpected(laid_out.error());
    }
    fs::remove_all(temp / ".scratch", ec);

    FetchOutcome outcome;
    outcome.dir = KernelStore::dir(name);
    auto& m = outcome.manifest;
    m.name = name;
    m.suite = located->suite;
    m.release = resolved.release;
    m.mirror = mirrors->archive;
    m.arch = arch;
    m.fetched_at = utc_now();
    for (const auto& p : resolved.packages) {
        m.packages.push_back({p.name, p.version, p.size});
    }
    // Written last: its presence is what marks the folder complete.
    if (auto written = write_file_atomically(temp / manifest_file_name, m.to_json()); !written) {
        return std::unexpected(written.error());
    }
    auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started);
    say(fmt::format("{} ready in {:.0f} s: {} ({})", name, seconds.count(), outcome.dir.string(),
                    human_size(tree_size(temp))));
    return outcome;
}

} // namespace kdive::lab
