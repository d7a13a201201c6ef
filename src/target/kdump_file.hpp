// makedumpfile's kdump-compressed dumps (plain, and flattened as QEMU's dump-guest-memory
// -f kdump-* writes them), read in place: pages are found through the dumpable bitmap and
// decompressed on demand.
#pragma once

#include "target/core_file.hpp"

namespace kdive::target {

Result<std::unique_ptr<CoreFile>> open_kdump_file(const std::filesystem::path& path);

} // namespace kdive::target
