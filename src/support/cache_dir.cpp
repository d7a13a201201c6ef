// Cache and runtime folder resolution from the environment.
#include "support/cache_dir.hpp"

#include <cstdlib>
#include <pwd.h>
#include <string>
#include <unistd.h>

namespace kdive {

std::filesystem::path cache_dir() {
    if (const char* explicit_dir = std::getenv("KDIVE_CACHE"); explicit_dir && *explicit_dir) {
        return explicit_dir;
    }
    if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) {
        return std::filesystem::path(xdg) / "kdive";
    }
    const char* home = std::getenv("HOME");
    if (home == nullptr || *home == '\0') {
        const passwd* pw = getpwuid(getuid());
        home = pw != nullptr ? pw->pw_dir : "/tmp";
    }
    return std::filesystem::path(home) / ".cache" / "kdive";
}

std::filesystem::path runtime_dir() {
    if (const char* xdg = std::getenv("XDG_RUNTIME_DIR"); xdg && *xdg) {
        return std::filesystem::path(xdg) / "kdive";
    }
    return std::filesystem::path("/tmp") / ("kdive-" + std::to_string(getuid()));
}

} // namespace kdive
