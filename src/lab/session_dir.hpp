// Creates private (0700) session folders for VMs.
#pragma once

#include "support/error.hpp"

#include <filesystem>

namespace kdive::lab {

// Uses `requested` when given (it must not hold a running session), else a fresh folder under
// the runtime directory.
Result<std::filesystem::path> make_session_dir(const std::filesystem::path& requested);

} // namespace kdive::lab
