// Where kdive keeps downloaded kernels, indexes and package lists.
#pragma once

#include <filesystem>

namespace kdive {

// $KDIVE_CACHE, else $XDG_CACHE_HOME/kdive, else ~/.cache/kdive.
std::filesystem::path cache_dir();

// $XDG_RUNTIME_DIR/kdive, else /tmp/kdive-UID: session folders of running VMs.
std::filesystem::path runtime_dir();

} // namespace kdive
