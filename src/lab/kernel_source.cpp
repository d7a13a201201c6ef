// Source fetch: lock, private apt, download, extract the .deb's tarball, untar, rename.
#include "lab/kernel_source.hpp"

#include "lab/deb_unpacker.hpp"
#include "lab/debian_suites.hpp"
#include "lab/disk_space.hpp"
#include "lab/fetch_lock.hpp"
#include "lab/kernel_locator.hpp"
#include "lab/kernel_store.hpp"
#include "support/atomic_file.hpp"
#include "support/cache_dir.hpp"
#include "support/subprocess.hpp"
#include "support/text.hpp"

#include <array>
#include <chrono>
#include <fmt/format.h>
#include <unistd.h>

namespace kdive::lab {

namespace fs = std::filesystem;

namespace {

constexpr std::array known_sources{
    SourceEntry{"debian-6.1", "bookworm", "linux-source-6.1"},
    SourceEntry{"debian-6.12", "trixie", "linux-source-6.12"},
};

// Written into the tree before it is renamed into place: which package it came from.
constexpr const char* version_file_name = ".kdive-source-version";

// The tarball (xz, ~140 MB) unpacks to about 1.4 GB; the .deb and tarball are on disk meanwhile.
constexpr std::uint64_t unpacked_bytes = 1600ull << 20;

fs::path sources_root() {
    return cache_dir() / "sources";
}

Result<SourceOutcome> unpack(const SourceEntry& entry, const DebianMirrors& mirrors,
                             const fs::path& temp,
                             const std::function<void(std::string_view)>& say) {
    say(fmt::format("fetching {} from Debian {} at {}", entry.package, entry.suite,
                    mirrors.archive));
    // The kernel's own suites: a kernel from bookworm-security finds its source there too.
    auto apt = updated_private_apt(entry.suite, mirrors, say);
    if (!apt) {
        return std::unexpected(apt.error());
    }
    auto record = apt->show(std::string(entry.package));
    if (!record) {
        return std::unexpected(record.error());
    }
    if (auto space = require_free_space(
            sources_root(), record->size + unpacked_bytes,
            fmt::format("unpacking {} ({} to download)", entry.package, human_size(record->size)));
        !space) {
        return std::unexpected(space.error());
    }
    fs::path debs = temp / ".scratch";
    std::error_code ec;
    fs::create_directories(debs, ec);
    if (ec) {
        return fail("creating {}: {}", debs.string(), ec.message());
    }
    say(fmt::format("downloading {} {} ({})", record->name, record->version,
                    human_size(record->size)));
    if (auto downloaded = apt->download({*record}, debs); !downloaded) {
        return std::unexpected(downloaded.error());
    }
    fs::path deb;
    for (const auto& item : fs::directory_iterator(debs, ec)) {
        if (item.path().extension() == ".deb") {
            deb = item.path();
        }
    }
    if (deb.empty()) {
        return fail("apt-get download left no .deb in {}", debs.string());
    }
    std::string tarball = fmt::format("./usr/src/{}.tar.xz", entry.package);
    if (auto done = unpack_deb_members(deb, debs, {tarball}); !done) {
        return std::unexpected(done.error());
    }
    fs::remove(deb, ec);
    fs::path tar_path = debs / tarball;
    if (!fs::exists(tar_path)) {
        return fail("{} has no {}", deb.filename().string(), tarball);
    }
    say(fmt::format("unpacking {}", tarball.substr(2)));
    if (auto untarred = run_checked({"tar", "-xf", tar_path.string(), "-C", temp.string()});
        !untarred) {
        return wrap(untarred.error(), fmt::format("unpacking {}", tar_path.string()));
    }
    fs::remove_all(debs, ec);
    fs::path top = temp / entry.package;
    if (!fs::exists(top / "Makefile")) {
        return fail("{} did not unpack to {}/Makefile", tarball, entry.package);
    }
    if (auto written = write_file_atomically(top / version_file_name, record->version + "\n");
        !written) {
        return std::unexpected(written.error());
    }
    return SourceOutcome{top, record->version, false};
}

} // namespace

std::span<const SourceEntry> KernelSources::entries() {
    return known_sources;
}

std::string KernelSources::names() {
    std::string out;
    for (const auto& e : known_sources) {
        out += out.empty() ? "" : ", ";
        out += e.name;
    }
    return out;
}

Result<SourceEntry> KernelSources::find(std::string_view name) {
    for (const auto& e : known_sources) {
        if (e.name == name) {
            return e;
        }
    }
    return fail("unknown kernel source '{}' (known: {})", name, names());
}

fs::path KernelSources::tree(std::string_view name) {
    return sources_root() / name;
}

std::optional<fs::path> KernelSources::fetched(std::string_view name) {
    fs::path dir = tree(name);
    std::error_code ec;
    if (fs::exists(dir / version_file_name, ec) && fs::exists(dir / "Makefile", ec)) {
        return dir;
    }
    return std::nullopt;
}

std::optional<SourceEntry> KernelSources::for_release(std::string_view release) {
    // "6.1.0-50-cloud-amd64" → series "6.1": everything up to the second dot.
    auto first = release.find('.');
    if (first == std::string_view::npos) {
        return std::nullopt;
    }
    auto second = release.find_first_not_of("0123456789", first + 1);
    std::string_view series = release.substr(0, second);
    for (const auto& e : known_sources) {
        if (e.package.substr(std::string_view("linux-source-").size()) == series) {
            return e;
        }
    }
    return std::nullopt;
}

Result<SourceOutcome> fetch_kernel_source(const SourceEntry& entry, const std::string& mirror,
                                          const std::function<void(std::string_view)>& progress) {
    auto say = [&progress](std::string_view line) {
        if (progress) {
            progress(line);
        }
    };
    auto done = [&entry]() -> std::optional<SourceOutcome> {
        auto tree = KernelSources::fetched(entry.name);
        if (!tree) {
            return std::nullopt;
        }
        auto version = read_file(*tree / version_file_name);
        return SourceOutcome{*tree, version ? std::string(trim(*version)) : "", true};
    };
    if (auto existing = done()) {
        return *existing;
    }
    std::error_code ec;
    fs::create_directories(sources_root(), ec);
    if (ec) {
        return fail("creating {}: {}", sources_root().string(), ec.message());
    }
    auto lock = FetchLock::acquire(sources_root() / fmt::format(".{}.lock", entry.name), say);
    if (!lock) {
        return std::unexpected(lock.error());
    }
    if (auto existing = done()) {
        return *existing;
    }
    remove_leftovers(sources_root(), temp_prefix(entry.name));
    auto mirrors = host_debian_mirrors(mirror);
    if (!mirrors) {
        return std::unexpected(mirrors.error());
    }
    auto started = std::chrono::steady_clock::now();
    TempFolder temp(sources_root() / (temp_prefix(entry.name) + std::to_string(getpid())));
    auto outcome = unpack(entry, *mirrors, temp.path(), say);
    if (!outcome) {
        return wrap(outcome.error(), fmt::format("kernel source {}", entry.name));
    }
    fs::path final_tree = KernelSources::tree(entry.name);
    fs::remove_all(final_tree, ec); // an older copy without the version file is incomplete
    fs::rename(outcome->tree, final_tree, ec);
    if (ec) {
        return fail("moving {} to {}: {}", outcome->tree.string(), final_tree.string(),
                    ec.message());
    }
    outcome->tree = final_tree;
    auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started);
    say(fmt::format("{} {} unpacked in {:.0f} s", entry.package, outcome->package_version,
                    seconds.count()));
    return outcome;
}

std::optional<SourceTreeMatch> source_tree_for_vmlinux(const fs::path& vmlinux) {
    std::error_code ec;
    const fs::path folder = fs::weakly_canonical(vmlinux, ec).parent_path();
    if (ec || fs::weakly_canonical(folder.parent_path(), ec) !=
                  fs::weakly_canonical(KernelStore::root(), ec)) {
        return std::nullopt;
    }
    auto manifest = KernelStore::fetched(folder.filename().string());
    if (!manifest) {
        return std::nullopt;
    }
    auto source = KernelSources::for_release(manifest->release);
    if (!source) {
        return std::nullopt;
    }
    auto tree = KernelSources::fetched(source->name);
    if (!tree) {
        return std::nullopt;
    }
    SourceTreeMatch match{*tree, {}, {}};
    if (!manifest->packages.empty()) {
        match.build_prefix = "/build/reproducible-path/linux-" +
                             upstream_version(manifest->packages.front().version);
    }
    auto version = read_file(*tree / version_file_name);
    if (version && !manifest->packages.empty()) {
        const std::string tree_version(trim(*version));
        const std::string& kernel_version = manifest->packages.front().version;
        if (upstream_version(tree_version) != upstream_version(kernel_version)) {
            match.note = fmt::format("source lines come from {} {}, the kernel is {}: lines may "
                                     "be off",
                                     source->package, tree_version, kernel_version);
        }
    }
    return match;
}

} // namespace kdive::lab
