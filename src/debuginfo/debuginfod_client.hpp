// Debug files by build-id from the debuginfod servers in $DEBUGINFOD_URLS, through elfutils'
// libdebuginfod; what it downloads stays in its own client cache.
#pragma once

#include "support/error.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace kdive::debuginfo {

// $DEBUGINFOD_URLS; empty when unset or blank.
std::string debuginfod_urls();

// "BB603A91..." → "bb603a91...": nullopt unless it is 2-128 hex digits in pairs, as a
// build-id read from untrusted input (a dump's VMCOREINFO) must be before it reaches a URL.
std::optional<std::string> normalized_build_id(std::string_view hex);

// The local path of the debug file (for a kernel, its vmlinux with DWARF) whose build-id is
// `build_id_hex`; the error names the URLs asked and the build-id.
Result<std::filesystem::path> find_debuginfo_by_build_id(std::string_view build_id_hex);

} // namespace kdive::debuginfo
