// The config fragments kdive ships: `tiny` and `debug`, the recipe's kernel options.
#pragma once

#include "support/error.hpp"

#include <string>
#include <string_view>

namespace kdive::lab {

struct KconfigProfile {
    std::string_view name;
    std::string_view base;     // the make target run first: "tinyconfig", or empty (keep .config)
    std::string_view fragment; // .config lines; @DWARF@ becomes 4 or 5
};

Result<KconfigProfile> find_kconfig_profile(std::string_view name);
// The fragment text with the DWARF version filled in.
std::string kconfig_profile_text(const KconfigProfile& profile, int dwarf);

} // namespace kdive::lab
