// Extracts chosen members of a .deb's data archive (dpkg-deb --fsys-tarfile | tar -x).
#pragma once

#include "support/error.hpp"

#include <filesystem>
#include <string>
#include <vector>

namespace kdive::lab {

// Extracts the members (paths or folders as they appear in the archive: "./boot/vmlinuz-R")
// into `dest`. Members the package does not have are skipped; any other failure is an error.
Result<> unpack_deb_members(const std::filesystem::path& deb, const std::filesystem::path& dest,
                            const std::vector<std::string>& members);

// True when tar's complaints are only about requested members missing from the archive.
bool only_missing_members(const std::string& tar_stderr);

} // namespace kdive::lab
