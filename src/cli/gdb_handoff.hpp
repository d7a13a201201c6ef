// Hands a kdive VM over to real GDB: vmlinux loaded, connected, optionally run to start_kernel.
#pragma once

#include "lab/session.hpp"
#include "support/error.hpp"

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace kdive::cli {

inline constexpr std::string_view default_gdb = "gdb";
// Given before the vmlinux loads: GDB then keeps an index of its DWARF in its cache folder.
inline constexpr std::string_view gdb_index_cache_setting = "set index-cache enabled on";

struct GdbHandoff {
    std::string gdb{default_gdb}; // or gdb-multiarch, pwndbg, ...
    bool run_to_start_kernel = false;
    std::string break_at = "start_kernel"; // where run_to_start_kernel stops
};

// The debugger to run: Debian's `gdb` debugs the host's architecture only, so the default
// becomes `gdb-multiarch` for a guest of another; a debugger the user named is kept.
std::string gdb_program(const lab::Session& session, const GdbHandoff& handoff);

// The arguments GDB is started with (exposed for tests).
std::vector<std::string> gdb_arguments(const lab::Session& session, const GdbHandoff& handoff,
                                       const std::string& kdive_binary);

// kdive's GDB Python file (the lx-* functions and commands answered by `kdive serve`), kept
// in the session folder; write_lx_script puts it there.
std::filesystem::path lx_script_path(const lab::Session& session);
Result<> write_lx_script(const lab::Session& session);

// Runs GDB in the foreground until it exits; returns its exit status.
Result<int> run_gdb(const lab::Session& session, const GdbHandoff& handoff);

} // namespace kdive::cli
