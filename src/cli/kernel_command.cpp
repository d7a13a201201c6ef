// `kdive kernel fetch|list|path|source|gdb-scripts`: the catalog of test kernels, kernels fetched
// by exact release, their cache folders and the Debian source trees they were built from.
#include "cli/commands.hpp"
#include "cli/report.hpp"
#include "debuginfo/background_index.hpp"
#include "lab/kernel_catalog.hpp"
#include "lab/kernel_fetcher.hpp"
#include "lab/kernel_gdb_scripts.hpp"
#include "lab/kernel_source.hpp"
#include "lab/kernel_store.hpp"
#include "support/cache_dir.hpp"
#include "support/guest_text.hpp"

#include <algorithm>
#include <filesystem>
#include <fmt/core.h>
#include <nlohmann/json.hpp>
#include <optional>

namespace kdive::cli {

namespace {

struct KernelArgs {
    std::string fetch_name;
    std::string release;
    std::string mirror;
    bool json = false;
    std::string path_name;
    std::string source_name;
    std::string scripts_name;
};

void run_fetch(const KernelArgs& args, ExitStatus& status) {
    if (!args.release.empty() && !args.fetch_name.empty()) {
        report_error(status, Error{fmt::format("kernel fetch: give a kernel name ({}) or "
                                               "--release {}, not both",
                                               args.fetch_name, args.release),
                                   ErrorKind::invalid_input});
        return;
    }
    std::string name =
        args.fetch_name.empty() ? std::string(lab::KernelCatalog::default_name()) : args.fetch_name;
    std::optional<lab::CatalogEntry> entry;
    if (args.release.empty()) {
        auto found = lab::KernelCatalog::find(name);
        if (!found) {
            report_error(status, found.error());
            return;
        }
        entry = *found;
    } else {
        name = lab::KernelStore::release_name(args.release);
    }
    lab::KernelFetcher fetcher({args.mirror}, [](std::string_view line) {
        fmt::print(stderr, "kdive: {}\n", line);
        (void)std::fflush(stderr);
    });
    auto outcome = entry ? fetcher.fetch(*entry) : fetcher.fetch_release(args.release);
    if (!outcome) {
        report_error(status, Error{fmt::format("kernel fetch {}: {}",
                                               entry ? name : "--release " + args.release,
                                               outcome.error().message),
                                   outcome.error().kind});
        return;
    }
    if (outcome->already_fetched) {
        fmt::print(stderr, "kdive: {} is already fetched (release {}, {}); nothing to do\n", name,
                   outcome->manifest.release, outcome->manifest.fetched_at);
    }
    // The first question that needs DWARF then finds the index warm.
    (void)debuginfo::index_in_background(outcome->dir / "vmlinux", cache_dir());
    fmt::print("{}\n", outcome->dir.string());
}

// Kernels fetched with --release, by name.
std::vector<lab::KernelManifest> fetched_releases() {
    std::vector<lab::KernelManifest> found;
    std::error_code ec;
    for (auto it = std::filesystem::directory_iterator(lab::KernelStore::root(), ec);
         !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
        const std::string name = it->path().filename().string();
        if (!name.starts_with(lab::KernelStore::release_name(""))) {
            continue;
        }
        if (auto manifest = lab::KernelStore::fetched(name)) {
            found.push_back(std::move(*manifest));
        }
    }
    std::ranges::sort(found, {}, &lab::KernelManifest::name);
    return found;
}

void run_list(const KernelArgs& args) {
    nlohmann::json rows = nlohmann::json::array();
    for (const auto& entry : lab::KernelCatalog::entries()) {
        auto manifest = lab::KernelStore::fetched(entry.name);
        rows.push_back({{"name", entry.name},
                        {"suite", entry.suite},
                        {"arch", lab::arch_name(entry.arch)},
                        {"fetched", manifest.has_value()},
                        {"release", manifest ? manifest->release : ""},
                        {"path", lab::KernelStore::dir(entry.name).string()},
                        {"default", entry.name == lab::KernelCatalog::default_name()}});
    }
    for (const auto& manifest : fetched_releases()) {
        rows.push_back({{"name", manifest.name},
                        {"suite", manifest.suite},
                        {"arch", lab::arch_name(manifest.arch)},
                        {"fetched", true},
                        {"release", manifest.release},
                        {"path", lab::KernelStore::dir(manifest.name).string()},
                        {"default", false}});
    }
    if (args.json) {
        fmt::print("{}\n", dump_json(rows, 2));
        return;
    }
    // release-R names are longer than the catalog's.
    std::size_t width = 18;
    for (const auto& row : rows) {
        width = std::max(width, row["name"].get<std::string>().size());
    }
    fmt::print("{:<{}} {:<9} {:<6} {:<8} {:<28} {}\n", "NAME", width, "SUITE", "ARCH", "FETCHED",
               "RELEASE", "PATH");
    for (const auto& row : rows) {
        fmt::print("{:<{}} {:<9} {:<6} {:<8} {:<28} {}\n", row["name"].get<std::string>(), width,
                   row["suite"].get<std::string>(), row["arch"].get<std::string>(),
                   row["fetched"].get<bool>() ? "yes" : "no", row["release"].get<std::string>(),
                   row["path"].get<std::string>());
    }
}

void run_path(const KernelArgs& args, ExitStatus& status) {
    // A kernel fetched by --release is known by its folder, not the catalog.
    if (!lab::KernelCatalog::find(args.path_name) && lab::KernelStore::fetched(args.path_name)) {
        fmt::print("{}\n", lab::KernelStore::dir(args.path_name).string());
        return;
    }
    auto entry = lab::KernelCatalog::find(args.path_name);
    if (!entry) {
        report_error(status, entry.error());
        return;
    }
    if (!lab::KernelStore::fetched(entry->name)) {
        report_error(status, Error{fmt::format("kernel '{}' is not fetched: run `kdive kernel "
                                               "fetch {}`",
                                               entry->name, entry->name)});
        return;
    }
    fmt::print("{}\n", lab::KernelStore::dir(entry->name).string());
}

void run_source(const KernelArgs& args, ExitStatus& status) {
    auto entry = lab::KernelSources::find(args.source_name);
    if (!entry) {
        report_error(status, entry.error());
        return;
    }
    auto outcome = lab::fetch_kernel_source(*entry, args.mirror, [](std::string_view line) {
        fmt::print(stderr, "kdive: {}\n", line);
        (void)std::fflush(stderr);
    });
    if (!outcome) {
        report_error(status, outcome.error());
        return;
    }
    if (outcome->already_fetched) {
        fmt::print(stderr, "kdive: {} is already unpacked ({}); nothing to do\n", entry->name,
                   outcome->package_version);
    }
    fmt::print("{}\n", outcome->tree.string());
}

void run_gdb_scripts(const KernelArgs& args, ExitStatus& status) {
    auto script = lab::prepare_gdb_scripts(args.scripts_name, true, [](std::string_view line) {
        fmt::print(stderr, "kdive: {}\n", line);
        (void)std::fflush(stderr);
    });
    if (!script) {
        report_error(status, script.error());
        return;
    }
    fmt::print("{}\n", script->string());
}

} // namespace

void register_kernel_command(CLI::App& app, ExitStatus& status) {
    auto args = std::make_shared<KernelArgs>();
    auto* kernel = app.add_subcommand("kernel", "Fetch and list Debian test kernels");
    kernel->require_subcommand(1);

    auto* fetch =
        kernel->add_subcommand("fetch", "Download a kernel with its debug info into the cache (" +
                                            lab::KernelCatalog::names() + ", or --release R)");
    fetch->add_option("name", args->fetch_name,
                      "kernel name (default: " + std::string(lab::KernelCatalog::default_name()) +
                          ")");
    fetch->add_option("--release", args->release,
                      "exactly this kernel release (uname -r, e.g. 6.1.0-57-cloud-amd64 or "
                      "6.1.0-57-cloud-arm64) from whichever Debian suite has it, as kernel "
                      "release-R");
    fetch->add_option("--mirror", args->mirror,
                      "Debian mirror URL (default: the one the host's apt sources use)");
    fetch->callback([args, &status] { run_fetch(*args, status); });

    auto* list =
        kernel->add_subcommand("list", "Show every known kernel and whether it is fetched");
    list->add_flag("--json", args->json, "machine-readable output");
    list->callback([args] { run_list(*args); });

    auto* path = kernel->add_subcommand("path", "Print the folder of a fetched kernel");
    path->add_option("name", args->path_name, "kernel name")->required();
    path->callback([args, &status] { run_path(*args, status); });

    auto* source = kernel->add_subcommand(
        "source", "Download and unpack Debian's kernel source tree (" +
                      lab::KernelSources::names() + "); prints the tree's path");
    source->add_option("name", args->source_name, "source name")->required();
    source->add_option("--mirror", args->mirror,
                       "Debian mirror URL (default: the one the host's apt sources use)");
    source->callback([args, &status] { run_source(*args, status); });

    auto* scripts = kernel->add_subcommand(
        "gdb-scripts", "Prepare the kernel's own GDB scripts (lx-ps, lx-dmesg, $lx_current) for "
                       "a fetched kernel from its Debian source; prints vmlinux-gdb.py's path");
    scripts->add_option("name", args->scripts_name, "fetched kernel name")->required();
    scripts->callback([args, &status] { run_gdb_scripts(*args, status); });
}

} // namespace kdive::cli
