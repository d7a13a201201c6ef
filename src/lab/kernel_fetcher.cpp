// Fetch workflow: lock, mirror, private apt, resolve, space check, download, unpack, rename.
#include "lab/kernel_fetcher.hpp"

#include "lab/apt_sources.hpp"
#include "lab/deb_unpacker.hpp"
#include "lab/disk_space.hpp"
#include "lab/fetch_lock.hpp"
#include "lab/kernel_layout.hpp"
#include "lab/kernel_packages.hpp"
#include "lab/kernel_store.hpp"
#include "lab/private_apt.hpp"
#include "support/atomic_file.hpp"
#include "support/cache_dir.hpp"

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

std::string temp_prefix(std::string_view name) {
    return fmt::format(".{}.tmp-", name);
}

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

} // namespace

void KernelFetcher::say(std::string_view line) const {
    if (progress_) {
        progress_(line);
    }
}

Result<std::string> KernelFetcher::choose_mirror() const {
    if (!options_.mirror.empty()) {
        return options_.mirror;
    }
    return AptSources::debian_mirror(AptSources::read_host(), AptSources::read_host_release());
}

Result<FetchOutcome> KernelFetcher::fetch(const CatalogEntry& entry) {
    if (auto done = KernelStore::fetched(entry.name)) {
        return FetchOutcome{*done, KernelStore::dir(entry.name), true};
    }
    std::error_code ec;
    fs::create_directories(KernelStore::root(), ec);
    if (ec) {
        return fail("creating {}: {}", KernelStore::root().string(), ec.message());
    }
    auto lock =
        FetchLock::acquire(KernelStore::root() / fmt::format(".{}.lock", entry.name), progress_);
    if (!lock) {
        return std::unexpected(lock.error());
    }
    // Another process may have finished the same fetch while we waited.
    if (auto done = KernelStore::fetched(entry.name)) {
        return FetchOutcome{*done, KernelStore::dir(entry.name), true};
    }
    // Safe while we hold the lock: no other fetch of this kernel is running.
    remove_leftovers(KernelStore::root(), temp_prefix(entry.name));
    TempFolder temp(KernelStore::root() / (temp_prefix(entry.name) + std::to_string(getpid())));
    auto outcome = build(entry, temp.path());
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

Result<FetchOutcome> KernelFetcher::build(const CatalogEntry& entry, const fs::path& temp) {
    auto started = std::chrono::steady_clock::now();
    auto mirror = choose_mirror();
    if (!mirror) {
        return std::unexpected(mirror.error());
    }
    say(fmt::format("fetching {} from Debian {} at {}", entry.name, entry.suite, *mirror));
    auto apt =
        PrivateApt::prepare(cache_dir() / "apt" / entry.suite, *mirror, std::string(entry.suite));
    if (!apt) {
        return std::unexpected(apt.error());
    }
    say("updating package lists");
    if (auto updated = apt->update(); !updated) {
        return std::unexpected(updated.error());
    }
    auto resolved =
        resolve_kernel_packages(entry, [&apt](const std::string& name) { return apt->show(name); });
    if (!resolved) {
        return std::unexpected(resolved.error());
    }
    std::uint64_t download = resolved->download_bytes();
    std::uint64_t needed =
        std::max(download * space_factor, download + resolved->installed_bytes());
    if (auto space = require_free_space(
            KernelStore::root(), needed,
            fmt::format("fetching {} ({} to download)", entry.name, human_size(download)));
        !space) {
        return std::unexpected(space.error());
    }

    std::string package_names;
    for (const auto& p : resolved->packages) {
        package_names += fmt::format("\n  {} {} ({})", p.name, p.version, human_size(p.size));
    }
    say(fmt::format("release {}: downloading {} packages, {}{}", resolved->release,
                    resolved->packages.size(), human_size(download), package_names));
    fs::path debs = temp / ".scratch" / "debs";
    fs::path unpacked = temp / ".scratch" / "root";
    std::error_code ec;
    fs::create_directories(debs, ec);
    if (ec) {
        return fail("creating {}: {}", debs.string(), ec.message());
    }
    if (auto downloaded = apt->download(resolved->packages, debs); !downloaded) {
        return std::unexpected(downloaded.error());
    }

    std::vector<fs::path> files;
    for (const auto& item : fs::directory_iterator(debs, ec)) {
        if (item.path().extension() == ".deb") {
            files.push_back(item.path());
        }
    }
    std::sort(files.begin(), files.end());
    if (files.size() != resolved->packages.size()) {
        return fail("apt-get download left {} .deb files in {}, expected {}", files.size(),
                    debs.string(), resolved->packages.size());
    }
    auto members = kernel_layout_members(resolved->release);
    for (size_t i = 0; i < files.size(); ++i) {
        say(fmt::format("unpacking {} ({}/{})", files[i].filename().string(), i + 1, files.size()));
        if (auto done = unpack_deb_members(files[i], unpacked, members); !done) {
            return std::unexpected(done.error());
        }
        fs::remove(files[i], ec); // the unpacked files are what we keep; free the space now
    }
    if (auto laid_out = assemble_kernel_layout(unpacked, resolved->release, temp); !laid_out) {
        return std::unexpected(laid_out.error());
    }
    fs::remove_all(temp / ".scratch", ec);

    FetchOutcome outcome;
    outcome.dir = KernelStore::dir(entry.name);
    auto& m = outcome.manifest;
    m.name = entry.name;
    m.suite = entry.suite;
    m.release = resolved->release;
    m.mirror = *mirror;
    m.fetched_at = utc_now();
    for (const auto& p : resolved->packages) {
        m.packages.push_back({p.name, p.version, p.size});
    }
    // Written last: its presence is what marks the folder complete.
    if (auto written = write_file_atomically(temp / manifest_file_name, m.to_json()); !written) {
        return std::unexpected(written.error());
    }
    auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started);
    say(fmt::format("{} ready in {:.0f} s: {} ({})", entry.name, seconds.count(),
                    outcome.dir.string(), human_size(tree_size(temp))));
    return outcome;
}

} // namespace kdive::lab
