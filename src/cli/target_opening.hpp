// Opening what `kdive attach` and `kdive serve` are pointed at: a session folder, a gdbstub
// endpoint or a vmcore, with the vmlinux that goes with it.
#pragma once

#include "cli/kernel_commands.hpp"
#include "target/target.hpp"

#include <CLI/CLI.hpp>
#include <filesystem>
#include <memory>
#include <string>

namespace kdive::cli {

struct TargetSource {
    std::string where;
    std::string vmlinux;
    std::string debug_dir;
    std::string memory = "auto"; // auto, direct or stub
    std::string qmp;             // QMP socket of a VM kdive did not launch
};

struct OpenedTarget {
    std::unique_ptr<target::Target> target;
    std::filesystem::path vmlinux;
    std::string greeting; // what an interactive session says first
};

Result<OpenedTarget> open_target(const TargetSource& source);

// --vmlinux, --debug-dir, --memory and --qmp, for the commands that open a target.
void add_target_source_options(CLI::App& command, TargetSource& source);

// The kernel view once the kernel runs, a vCPU in the kernel or in user mode (nullptr before:
// at the reset vector); a
// vmlinux that is not the running kernel fails here (every answer would be wrong). The
// target's vCPU selection is left as it was.
Result<kernel::Kernel*> check_kernel_view(KernelCommands& kernel, target::Target& target);

} // namespace kdive::cli
