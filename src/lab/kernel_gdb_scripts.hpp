// The kernel's own GDB scripts (lx-ps, lx-dmesg, $lx_current) for a fetched Debian kernel:
// its matching linux-source configured with the kernel's own config, `make scripts_gdb` only.
#pragma once

#include "support/error.hpp"

#include <filesystem>
#include <functional>
#include <optional>
#include <string_view>

namespace kdive::lab {

// <cache>/gdb-scripts/NAME/vmlinux-gdb.py once prepared.
std::optional<std::filesystem::path> cached_gdb_scripts(std::string_view kernel_name);

// Prepares the scripts for a fetched catalog kernel (a no-op when cached). With `fetch_source`
// false it fails instead of downloading the source when it is not in the cache yet.
Result<std::filesystem::path>
prepare_gdb_scripts(std::string_view kernel_name, bool fetch_source,
                    const std::function<void(std::string_view)>& progress);

// The vmlinux-gdb.py that goes with a vmlinux: beside it (a kernel build folder), or the
// prepared scripts when it is a fetched kernel's.
std::optional<std::filesystem::path> find_gdb_scripts(const std::filesystem::path& vmlinux);

} // namespace kdive::lab
