// `kdive kconfig`: base config, fragment and --set merged by kdive, `make olddefconfig`, then
// every requested option checked in the result, with Kconfig's reason when one did not stick.
#pragma once

#include "lab/kconfig_file.hpp"
#include "lab/kernel_tree.hpp"
#include "support/error.hpp"

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace kdive::lab {

struct KconfigRequest {
    KernelTree tree;
    std::string profile;                          // tiny, debug, or empty: only the fragments
    std::vector<std::filesystem::path> fragments; // user fragment files, after the profile
    std::vector<std::string> sets;                // CONFIG_X=V, applied last
    std::filesystem::path initramfs;              // INITRAMFS_SOURCE when not empty
    int dwarf = 5;
};

struct MissingOption {
    std::string name;
    std::string wanted;
    std::optional<std::string> got; // nullopt: absent from the result (n)
    std::vector<std::string> reasons;
};

struct KconfigOutcome {
    std::filesystem::path config;
    size_t requested = 0;
    std::vector<MissingOption> missing;
};

// Runs the steps; an Error is a failure to run them (bad tree, make failed), while options
// that did not stick are in the outcome.
Result<KconfigOutcome> configure_kernel(const KconfigRequest& request,
                                        const std::function<void(std::string_view)>& progress);

// "CONFIG_X: wanted y, got n — depends on A (A=n)" lines for a report.
std::string describe_missing(const MissingOption& missing);

} // namespace kdive::lab
