// lx-scripts for fetched kernels: lock, temp O= folder, olddefconfig on the kernel's config,
// make scripts_gdb, rename into place.
#include "lab/kernel_gdb_scripts.hpp"

#include "lab/fetch_lock.hpp"
#include "lab/kernel_source.hpp"
#include "lab/kernel_store.hpp"
#include "lab/kernel_tree.hpp"
#include "support/cache_dir.hpp"
#include "support/subprocess.hpp"

#include <fmt/format.h>
#include <unistd.h>

namespace kdive::lab {

namespace fs = std::filesystem;

namespace {

fs::path scripts_root() {
    return cache_dir() / "gdb-scripts";
}

constexpr const char* script_name = "vmlinux-gdb.py";

Result<> make_scripts(const KernelTree& tree, const fs::path& config,
                      const std::function<void(std::string_view)>& say) {
    std::error_code ec;
    fs::create_directories(tree.out, ec);
    fs::copy_file(config, tree.config(), fs::copy_options::overwrite_existing, ec);
    if (ec) {
        return fail("copying {} to {}: {}", config.string(), tree.config().string(), ec.message());
    }
    for (const char* target : {"olddefconfig", "scripts_gdb"}) {
        say(fmt::format("make O={} {}", tree.out.string(), target));
        auto run = run_process(tree.make({"-j2", target}));
        if (!run) {
            return std::unexpected(run.error());
        }
        if (run->exit_code != 0) {
            std::string output = run->out + run->err;
            return fail("make {} failed (exit {}): {}", target, run->exit_code,
                        output.substr(output.size() > 2000 ? output.size() - 2000 : 0));
        }
    }
    if (!fs::exists(tree.gdb_scripts(), ec)) {
        return fail("make scripts_gdb left no {}", tree.gdb_scripts().string());
    }
    return {};
}

} // namespace

std::optional<fs::path> cached_gdb_scripts(std::string_view kernel_name) {
    fs::path script = scripts_root() / kernel_name / script_name;
    std::error_code ec;
    if (fs::exists(script, ec)) {
        return script;
    }
    return std::nullopt;
}

Result<fs::path> prepare_gdb_scripts(std::string_view kernel_name, bool fetch_source,
                                     const std::function<void(std::string_view)>& progress) {
    auto say = [&progress](std::string_view line) {
        if (progress) {
            progress(line);
        }
    };
    if (auto cached = cached_gdb_scripts(kernel_name)) {
        return *cached;
    }
    auto manifest = KernelStore::fetched(kernel_name);
    if (!manifest) {
        return fail("kernel '{}' is not fetched: run `kdive kernel fetch {}`", kernel_name,
                    kernel_name);
    }
    auto source = KernelSources::for_release(manifest->release);
    if (!source) {
        return fail("no Debian linux-source package kdive knows matches release {} (known: {})",
                    manifest->release, KernelSources::names());
    }
    auto tree_dir = KernelSources::fetched(source->name);
    if (!tree_dir) {
        if (!fetch_source) {
            return fail("the source of {} is not in the cache: run `kdive kernel source {}`",
                        kernel_name, source->name);
        }
        auto fetched = fetch_kernel_source(*source, "", progress);
        if (!fetched) {
            return std::unexpected(fetched.error());
        }
        tree_dir = fetched->tree;
    }
    std::error_code ec;
    fs::create_directories(scripts_root(), ec);
    if (ec) {
        return fail("creating {}: {}", scripts_root().string(), ec.message());
    }
    auto lock = FetchLock::acquire(scripts_root() / fmt::format(".{}.lock", kernel_name), say);
    if (!lock) {
        return std::unexpected(lock.error());
    }
    if (auto cached = cached_gdb_scripts(kernel_name)) {
        return *cached;
    }
    std::string prefix = fmt::format(".{}.tmp-", kernel_name);
    remove_leftovers(scripts_root(), prefix);
    TempFolder temp(scripts_root() / (prefix + std::to_string(getpid())));
    auto tree = KernelTree::open(*tree_dir, temp.path(), manifest->arch);
    if (!tree) {
        return std::unexpected(tree.error());
    }
    if (auto version = tree->version();
        version && !manifest->packages.empty() &&
        upstream_version(manifest->packages.front().version) != *version) {
        // The scripts follow the kernel's structures; a nearby stable release almost always
        // has the same ones, but say so.
        say(fmt::format("note: {} is {} but the source is {}", kernel_name,
                        manifest->packages.front().version, *version));
    }
    say(fmt::format("preparing the lx-scripts of {} from {}", kernel_name, tree_dir->string()));
    if (auto made = make_scripts(*tree, KernelStore::dir(kernel_name) / "config", say); !made) {
        return wrap(made.error(), fmt::format("gdb scripts for {}", kernel_name));
    }
    fs::path final_dir = scripts_root() / kernel_name;
    fs::remove_all(final_dir, ec);
    fs::rename(temp.path(), final_dir, ec);
    if (ec) {
        return fail("moving {} to {}: {}", temp.path().string(), final_dir.string(), ec.message());
    }
    return final_dir / script_name;
}

std::optional<fs::path> find_gdb_scripts(const fs::path& vmlinux) {
    if (vmlinux.empty()) {
        return std::nullopt;
    }
    std::error_code ec;
    fs::path beside = vmlinux.parent_path() / script_name;
    if (fs::exists(beside, ec)) {
        return beside;
    }
    // A fetched kernel's vmlinux lives in <cache>/kernels/NAME/.
    if (vmlinux.parent_path().parent_path() == KernelStore::root()) {
        return cached_gdb_scripts(vmlinux.parent_path().filename().string());
    }
    return std::nullopt;
}

} // namespace kdive::lab
