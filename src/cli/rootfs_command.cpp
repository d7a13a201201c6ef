// `kdive rootfs`: the recipe's BusyBox initramfs, no root needed.
#include "cli/commands.hpp"
#include "cli/report.hpp"
#include "lab/archive_output.hpp"
#include "lab/busybox_store.hpp"
#include "lab/rootfs_builder.hpp"

#include <fmt/core.h>
#include <optional>

namespace kdive::cli {

namespace {

struct RootfsArgs {
    std::string output;
    std::string busybox;
    std::string arch;
    std::vector<std::string> additions;
    std::vector<std::string> modules;
    std::string init_script;
    std::string compression = "gzip";
    std::optional<uint32_t> mtime;
};

Result<size_t> run_rootfs(const RootfsArgs& args) {
    auto compression = lab::parse_compression(args.compression);
    if (!compression) {
        return std::unexpected(compression.error());
    }
    lab::RootfsOptions options;
    options.busybox = args.busybox;
    auto arch = lab::parse_arch_option(args.arch);
    if (!arch) {
        return std::unexpected(arch.error());
    }
    // Modules say which kernel the rootfs is for: its busybox is of their architecture.
    if (!*arch && args.busybox.empty() && !args.modules.empty()) {
        arch = lab::module_arch(args.modules.front());
        if (!arch) {
            return std::unexpected(arch.error());
        }
    }
    if (options.busybox.empty() && *arch) {
        auto busybox = lab::busybox_for(
            **arch, [](std::string_view line) { fmt::print(stderr, "kdive: {}\n", line); });
        if (!busybox) {
            return std::unexpected(busybox.error());
        }
        options.busybox = *busybox;
    }
    options.init_script = args.init_script;
    for (const auto& m : args.modules) {
        options.modules.emplace_back(m);
    }
    for (const auto& spec : args.additions) {
        auto addition = lab::parse_addition(spec);
        if (!addition) {
            return std::unexpected(addition.error());
        }
        options.additions.push_back(*addition);
    }
    auto entries = lab::build_rootfs(options);
    if (!entries) {
        return std::unexpected(entries.error());
    }
    return lab::write_archive(args.output, *entries, {lab::archive_mtime(args.mtime)},
                              *compression);
}

} // namespace

void register_rootfs_command(CLI::App& app, ExitStatus& status) {
    auto args = std::make_shared<RootfsArgs>();
    auto* cmd = app.add_subcommand("rootfs", "Build a BusyBox initramfs (no root, no mknod)");
    cmd->add_option("-o,--output", args->output, "archive to write")->required();
    cmd->add_option("--busybox", args->busybox, "static busybox (default: busybox-static's)");
    cmd->add_option("--arch", args->arch,
                    "guest architecture, amd64 or arm64: Debian's busybox-static for it (fetched "
                    "once into the cache when it is not the host's); default: the first "
                    "--module's, else the host's");
    cmd->add_option("--add", args->additions, "SRC:DEST host file or folder to include");
    cmd->add_option("--module", args->modules,
                    "kernel module (.ko, .ko.xz, .ko.zst) loaded at boot");
    cmd->add_option("--init-script", args->init_script, "shell script run at the end of rcS");
    cmd->add_option("--compress", args->compression, "gzip (default), zstd or none");
    cmd->add_option("--mtime", args->mtime, "timestamp for every entry (reproducible output)");
    cmd->callback([args, &status] {
        auto size = run_rootfs(*args);
        if (!size) {
            report_error(status, size.error());
            return;
        }
        fmt::print("{} ({} bytes)\n", args->output, *size);
    });
}

} // namespace kdive::cli
