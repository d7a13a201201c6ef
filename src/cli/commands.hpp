// Sub-command registration: each command lives in its own file and adds itself to the app.
#pragma once

#include <CLI/CLI.hpp>

namespace kdive::cli {

// Set by a command's callback; main() returns it.
struct ExitStatus {
    int code = 0;
};

void register_kernel_command(CLI::App& app, ExitStatus& status);
void register_cpio_command(CLI::App& app, ExitStatus& status);
void register_rootfs_command(CLI::App& app, ExitStatus& status);
void register_boot_command(CLI::App& app, ExitStatus& status);
void register_stop_command(CLI::App& app, ExitStatus& status);
void register_attach_command(CLI::App& app, ExitStatus& status);
void register_inspect_command(CLI::App& app, ExitStatus& status);
void register_up_command(CLI::App& app, ExitStatus& status);
void register_gdb_command(CLI::App& app, ExitStatus& status);
void register_relay_command(CLI::App& app, ExitStatus& status);
void register_kconfig_command(CLI::App& app, ExitStatus& status);
void register_build_command(CLI::App& app, ExitStatus& status);
void register_dump_command(CLI::App& app, ExitStatus& status);
void register_serve_command(CLI::App& app, ExitStatus& status);
void register_python_command(CLI::App& app, ExitStatus& status);

} // namespace kdive::cli
