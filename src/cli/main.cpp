// Entry point of the kdive command line.
#include "cli/commands.hpp"

#include <CLI/CLI.hpp>
#include <cstdio>

int main(int argc, char** argv) {
    CLI::App app{"kdive: a kernel-aware debugger and lab for Linux kernels under QEMU"};
    app.set_version_flag("--version", KDIVE_VERSION);
    app.require_subcommand(1);
    kdive::cli::ExitStatus status;
    kdive::cli::register_kernel_command(app, status);
    kdive::cli::register_cpio_command(app, status);
    kdive::cli::register_rootfs_command(app, status);
    kdive::cli::register_boot_command(app, status);
    kdive::cli::register_stop_command(app, status);
    kdive::cli::register_attach_command(app, status);
    kdive::cli::register_inspect_command(app, status);
    kdive::cli::register_up_command(app, status);
    kdive::cli::register_gdb_command(app, status);
    kdive::cli::register_relay_command(app, status);
    kdive::cli::register_kconfig_command(app, status);
    kdive::cli::register_build_command(app, status);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }
    return status.code;
}
