// The detached DWARF index build: fork twice, drop the caller's files, build, cache, exit.
#include "debuginfo/background_index.hpp"

#include "debuginfo/debug_info.hpp"
#include "debuginfo/index_cache.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace kdive::debuginfo {

bool index_in_background(const std::filesystem::path& file,
                         const std::filesystem::path& cache_root) {
    if (const char* off = std::getenv("KDIVE_NO_BACKGROUND_INDEX"); off != nullptr && *off != 0) {
        return false;
    }
    if (cache_root.empty()) {
        return false;
    }
    (void)std::fflush(stdout);
    (void)std::fflush(stderr);
    const pid_t child = fork();
    if (child < 0) {
        return false;
    }
    if (child > 0) {
        while (waitpid(child, nullptr, 0) < 0 && errno == EINTR) {
        }
        return true;
    }
    (void)setsid();
    const int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null >= 0) {
        (void)dup2(null, STDIN_FILENO);
        (void)dup2(null, STDOUT_FILENO);
        (void)dup2(null, STDERR_FILENO);
    }
    // Sockets to a VM's stub or monitor must not outlive the caller in this process.
    (void)close_range(3, ~0U, 0);
    if (fork() != 0) {
        _exit(0); // the grandchild is adopted by init: no zombie left to the caller
    }
    DebugInfoOptions options;
    options.cache_root = cache_root;
    if (auto info = DebugInfo::open(file, options)) {
        const auto& build_id = (*info)->elf().build_id();
        std::error_code ec;
        if (build_id && !std::filesystem::exists(index_cache_path(cache_root, *build_id), ec)) {
            (void)(*info)->dwarf_index();
        }
    }
    _exit(0);
}

} // namespace kdive::debuginfo
