// Builds and caches a file's DWARF index in a detached process, so that the next question
// needing DWARF finds it warm without anyone waiting for it now.
#pragma once

#include <filesystem>

namespace kdive::debuginfo {

// Starts the detached build unless the cache has the index already, caching is off (empty
// cache_root) or KDIVE_NO_BACKGROUND_INDEX is set; true when one was started. The process holds
// none of the caller's files or pipes (a script reading the caller's output sees its end at
// once), ignores the terminal's signals and leaves no zombie behind. Call it while the caller
// has no other thread running.
bool index_in_background(const std::filesystem::path& file,
                         const std::filesystem::path& cache_root);

} // namespace kdive::debuginfo
