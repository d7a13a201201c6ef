// `kdive build`: make bzImage or Image (modules, scripts_gdb when configured) with progress, the
// full log in the build folder, and the last errors on failure.
#pragma once

#include "lab/kernel_tree.hpp"
#include "support/error.hpp"

#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace kdive::lab {

struct BuildProgress {
    size_t compiled = 0;
    size_t total = 0; // estimate from the previous build of this folder; 0 when unknown
    double elapsed_s = 0;
};

struct BuildHooks {
    std::function<void(const BuildProgress&)> progress; // a few times per second
    std::function<bool()> interrupted;                  // true: stop make (SIGINT to it)
};

struct BuildOutcome {
    std::filesystem::path log;
    std::vector<std::string> targets;
    int exit_code = 0; // make's; -1 when it died of a signal
    bool interrupted = false;
    size_t compiled = 0;
    double elapsed_s = 0;
    std::vector<std::string> errors; // the log's last error lines when make failed
    bool succeeded() const { return exit_code == 0 && !interrupted; }
};

// The targets for this tree's .config: bzImage (Image on arm64), modules if MODULES,
// scripts_gdb if GDB_SCRIPTS.
Result<std::vector<std::string>> build_targets(const KernelTree& tree);

// Runs make -jN; an Error means make could not run at all.
Result<BuildOutcome> build_kernel(const KernelTree& tree, int jobs, const BuildHooks& hooks);

// Kbuild's quiet output names each compiled file: "  CC      kernel/fork.o".
bool is_compile_line(std::string_view line);
// The lines of a build log worth showing when make failed (compiler errors, make's own).
std::vector<std::string> build_errors(std::string_view log, size_t limit);

} // namespace kdive::lab
