// The kernel's own .config when built with CONFIG_IKCONFIG, and its command line.
#pragma once

#include "kernel/kernel.hpp"

#include <span>
#include <string>

namespace kdive::kernel {

// The gzip stream between the "IKCFG_ST" and "IKCFG_ED" markers, inflated.
Result<std::string> extract_ikconfig(std::span<const std::byte> blob);
// kernel_config_data from memory; an error saying so when the kernel lacks CONFIG_IKCONFIG.
Result<std::string> read_kernel_config(Kernel& kernel);
// saved_command_line: the command line the kernel booted with.
Result<std::string> read_command_line(Kernel& kernel);

} // namespace kdive::kernel
