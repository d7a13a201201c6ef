// `kdive kconfig`: configure a kernel tree with a kdive profile and check that every option
// asked for survived `make olddefconfig`.
#include "cli/commands.hpp"
#include "cli/report.hpp"
#include "lab/kernel_configurator.hpp"

#include <chrono>
#include <fmt/core.h>
#include <memory>
#include <optional>

namespace kdive::cli {

namespace {

struct KconfigArgs {
    std::string tree;
    std::string out;
    std::string profile;
    std::vector<std::string> fragments;
    std::vector<std::string> sets;
    std::string initramfs;
    std::string arch;
    int dwarf = 5;
    bool no_relocatable = false;
};

void run_kconfig(const KconfigArgs& args, ExitStatus& status) {
    auto started = std::chrono::steady_clock::now();
    auto arch = lab::parse_arch_option(args.arch);
    if (!arch) {
        report_error(status, arch.error());
        return;
    }
    auto tree = lab::KernelTree::open(args.tree, args.out, *arch);
    if (!tree) {
        report_error(status, tree.error());
        return;
    }
    std::vector<std::string> sets;
    if (args.no_relocatable) {
        // Symbols at their link addresses whatever the boot loader does; before the user's own.
        sets.emplace_back("CONFIG_RELOCATABLE=n");
    }
    sets.insert(sets.end(), args.sets.begin(), args.sets.end());
    lab::KconfigRequest request{*tree, args.profile, {}, sets, args.initramfs, args.dwarf};
    request.fragments.assign(args.fragments.begin(), args.fragments.end());
    if (tree->arch != lab::host_arch()) {
        fmt::print(stderr, "kdive: configuring for {} (ARCH={} CROSS_COMPILE={})\n",
                   lab::arch_name(tree->arch), lab::kbuild_arch(tree->arch),
                   lab::cross_compile_prefix(tree->arch));
    }
    auto outcome = lab::configure_kernel(request, [](std::string_view line) {
        fmt::print(stderr, "kdive: {}\n", line);
        (void)std::fflush(stderr);
    });
    if (!outcome) {
        report_error(status, Error{fmt::format("kconfig: {}", outcome.error().message)});
        return;
    }
    auto seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    if (!outcome->missing.empty()) {
        fmt::print(stderr, "kdive: {} of {} requested options did not survive olddefconfig:\n",
                   outcome->missing.size(), outcome->requested);
        for (const auto& missing : outcome->missing) {
            fmt::print(stderr, "  {}\n", lab::describe_missing(missing));
        }
        status.code = 1;
    } else {
        fmt::print(stderr, "kdive: all {} requested options are set ({:.1f} s)\n",
                   outcome->requested, seconds);
    }
    fmt::print("{}\n", outcome->config.string());
}

} // namespace

void register_kconfig_command(CLI::App& app, ExitStatus& status) {
    auto args = std::make_shared<KconfigArgs>();
    auto* cmd = app.add_subcommand(
        "kconfig", "Configure a kernel tree for debugging and check every requested option");
    cmd->add_option("--tree", args->tree, "kernel source tree")->required();
    cmd->add_option("--out", args->out, "build folder (O=); default: the tree itself");
    cmd->add_option("--profile", args->profile,
                    "tiny (tinyconfig + BusyBox under QEMU + debug) or debug (the tree's "
                    ".config or defconfig + debug)")
        ->check(CLI::IsMember({"tiny", "debug"}));
    cmd->add_option("--fragment", args->fragments, "a config fragment file (repeatable)");
    cmd->add_option("--set", args->sets, "CONFIG_X=VALUE, applied last (repeatable)");
    cmd->add_option("--initramfs", args->initramfs,
                    "built into the kernel (CONFIG_INITRAMFS_SOURCE): a folder, a .cpio or a "
                    "gen_init_cpio list");
    cmd->add_option("--arch", args->arch,
                    "amd64 or arm64 (cross-built with aarch64-linux-gnu-); default: the "
                    "architecture of OUT/.config, else $ARCH, else the host's");
    cmd->add_option("--dwarf", args->dwarf, "DWARF version of the debug info")
        ->check(CLI::IsMember({4, 5}))
        ->capture_default_str();
    cmd->add_flag("--no-relocatable", args->no_relocatable,
                  "also turn RELOCATABLE off (KASLR is off in both profiles)");
    cmd->callback([args, &status] { run_kconfig(*args, status); });
}

} // namespace kdive::cli
