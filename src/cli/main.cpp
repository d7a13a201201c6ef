// Entry point of the kdive command line.
#include "cli/commands.hpp"
#include "cli/script_host.hpp"
#include "support/guest_text.hpp"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>
#ifdef KDIVE_WITH_PYTHON
#include "python/script_host.hpp"
#endif

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
    kdive::cli::register_dump_command(app, status);
    kdive::cli::register_serve_command(app, status);
    kdive::cli::register_python_command(app, status);
#ifdef KDIVE_WITH_PYTHON
    kdive::cli::set_script_host_factory(kdive::python::make_embedded_script_host);
#endif
    // An exception from any command ends here, after unwinding: the targets' destructors have
    // detached (removing kdive's breakpoints) and the VMs' guards have run, which
    // std::terminate would skip.
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "kdive: internal error: %s\n",
                     kdive::terminal_text(e.what(), kdive::TerminalText::message).c_str());
        return 70; // EX_SOFTWARE
    } catch (...) {
        std::fprintf(stderr, "kdive: internal error: unknown exception\n");
        return 70;
    }
    return status.code;
}
