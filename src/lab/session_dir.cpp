// Session folder creation with a check for a VM already running there.
#include "lab/session_dir.hpp"

#include "lab/session.hpp"
#include "support/cache_dir.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <sys/stat.h>

namespace kdive::lab {

Result<std::filesystem::path> make_session_dir(const std::filesystem::path& requested) {
    std::error_code ec;
    if (!requested.empty()) {
        if (auto existing = Session::load(requested); existing && is_qemu_alive(existing->pid)) {
            return fail("{} already holds a running session (QEMU pid {}); `kdive stop {}` first",
                        requested.string(), existing->pid, requested.string());
        }
        std::filesystem::create_directories(requested, ec);
        if (ec) {
            return fail("cannot create session folder {}: {}", requested.string(), ec.message());
        }
        chmod(requested.c_str(), 0700);
        return std::filesystem::absolute(requested);
    }
    auto base = runtime_dir();
    std::filesystem::create_directories(base, ec);
    chmod(base.c_str(), 0700);
    std::string pattern = (base / "vm-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) {
        return fail("cannot create a session folder under {}: {}", base.string(),
                    std::strerror(errno));
    }
    return std::filesystem::path(pattern);
}

} // namespace kdive::lab
