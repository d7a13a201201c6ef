// A foreign busybox comes from the same private apt configuration as that architecture's kernels,
// so it needs no host package and no change to the host's dpkg architectures.
#include "lab/busybox_store.hpp"

#include "lab/deb_unpacker.hpp"
#include "lab/debian_suites.hpp"
#include "lab/disk_space.hpp"
#include "lab/fetch_lock.hpp"
#include "lab/kernel_catalog.hpp"
#include "lab/kernel_locator.hpp"
#include "lab/rootfs_builder.hpp"
#include "support/atomic_file.hpp"
#include "support/cache_dir.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

namespace kdive::lab {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view package_name = "busybox-static";

bool is_busybox_of(const fs::path& file, KernelArch arch) {
    auto data = read_file(file);
    return data && elf_arch(std::string_view(*data).substr(0, 64)) == arch &&
           data->find("BusyBox v") != std::string::npos;
}

Result<fs::path> fetch_busybox(KernelArch arch, const fs::path& dir,
                               const std::function<void(std::string_view)>& say) {
    const std::string suite(KernelCatalog::find(KernelCatalog::default_name())->suite);
    auto mirrors = host_debian_mirrors("");
    if (!mirrors) {
        return std::unexpected(mirrors.error());
    }
    auto apt = updated_private_apt(suite, *mirrors, say, arch);
    if (!apt) {
        return std::unexpected(apt.error());
    }
    auto record = apt->show(std::string(package_name));
    if (!record) {
        return std::unexpected(record.error());
    }
    if (say) {
        say(fmt::format("downloading {} {} ({}) for the {} rootfs", record->name, record->version,
                        human_size(record->size), arch_name(arch)));
    }
    TempFolder temp(dir.parent_path() / fmt::format(".{}.tmp-{}", arch_name(arch), getpid()));
    std::error_code ec;
    fs::create_directories(temp.path() / "debs", ec);
    if (ec) {
        return fail("creating {}: {}", temp.path().string(), ec.message());
    }
    if (auto done = apt->download({*record}, temp.path() / "debs"); !done) {
        return std::unexpected(done.error());
    }
    fs::path deb;
    for (const auto& item : fs::directory_iterator(temp.path() / "debs", ec)) {
        if (item.path().extension() == ".deb") {
            deb = item.path();
        }
    }
    if (deb.empty()) {
        return fail("apt-get download of {} left no .deb in {}", package_name,
                    (temp.path() / "debs").string());
    }
    const fs::path root = temp.path() / "root";
    if (auto unpacked = unpack_deb_members(deb, root, {"./bin/busybox", "./usr/bin/busybox"});
        !unpacked) {
        return std::unexpected(unpacked.error());
    }
    fs::path binary = root / "bin/busybox";
    if (!fs::is_regular_file(binary, ec)) {
        binary = root / "usr/bin/busybox";
    }
    if (!is_busybox_of(binary, arch)) {
        return fail("{} {} has no {} busybox binary (bin/busybox)", record->name, record->version,
                    arch_name(arch));
    }
    fs::permissions(binary,
                    fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                        fs::perms::others_read | fs::perms::others_exec,
                    ec);
    nlohmann::json about = {{"package", record->name},
                            {"version", record->version},
                            {"arch", arch_name(arch)},
                            {"suite", suite},
                            {"mirror", apt->mirror()}};
    if (auto written = write_file_atomically(temp.path() / "busybox.json", about.dump(2) + "\n");
        !written) {
        return std::unexpected(written.error());
    }
    fs::rename(binary, temp.path() / "busybox", ec);
    fs::remove_all(temp.path() / "debs", ec);
    fs::remove_all(root, ec);
    fs::remove_all(dir, ec); // an incomplete older copy
    fs::rename(temp.path(), dir, ec);
    if (ec) {
        return fail("moving {} to {}: {}", temp.path().string(), dir.string(), ec.message());
    }
    return dir / "busybox";
}

} // namespace

fs::path busybox_store_dir(KernelArch arch) {
    return cache_dir() / "busybox" / arch_name(arch);
}

Result<fs::path> busybox_for(KernelArch arch, const std::function<void(std::string_view)>& say) {
    if (arch == host_arch()) {
        return default_busybox();
    }
    const fs::path dir = busybox_store_dir(arch);
    // The folder gets its name once complete, with busybox.json in it.
    auto complete = [&dir] { return fs::is_regular_file(dir / "busybox.json"); };
    if (complete()) {
        return dir / "busybox";
    }
    std::error_code ec;
    fs::create_directories(dir.parent_path(), ec);
    if (ec) {
        return fail("creating {}: {}", dir.parent_path().string(), ec.message());
    }
    std::function<void(std::string_view)> waiting = say;
    if (!waiting) {
        waiting = [](std::string_view) {};
    }
    auto lock =
        FetchLock::acquire(dir.parent_path() / fmt::format(".{}.lock", arch_name(arch)), waiting);
    if (!lock) {
        return std::unexpected(lock.error());
    }
    if (complete()) {
        return dir / "busybox";
    }
    remove_leftovers(dir.parent_path(), fmt::format(".{}.tmp-", arch_name(arch)));
    auto fetched = fetch_busybox(arch, dir, say);
    if (!fetched) {
        return fail("fetching Debian's {} busybox-static: {}", arch_name(arch),
                    fetched.error().message);
    }
    return fetched;
}

} // namespace kdive::lab
