// One libdebuginfod client per lookup: lookups are rare (a vmcore's kernel) and each downloads
// hundreds of MB, so nothing is gained by keeping a client.
#include "debuginfo/debuginfod_client.hpp"

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <elfutils/debuginfod.h>
#include <memory>
#include <unistd.h>

namespace kdive::debuginfo {

namespace {

struct ClientDeleter {
    void operator()(debuginfod_client* client) const { debuginfod_end(client); }
};

} // namespace

std::string debuginfod_urls() {
    const char* urls = std::getenv("DEBUGINFOD_URLS");
    if (urls == nullptr) {
        return {};
    }
    std::string text(urls);
    if (text.find_first_not_of(" \t\n") == std::string::npos) {
        return {};
    }
    return text;
}

std::optional<std::string> normalized_build_id(std::string_view hex) {
    if (hex.size() < 2 || hex.size() > 128 || hex.size() % 2 != 0) {
        return std::nullopt;
    }
    std::string out;
    out.reserve(hex.size());
    for (char c : hex) {
        if (!std::isxdigit(static_cast<unsigned char>(c))) {
            return std::nullopt;
        }
        out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    }
    return out;
}

Result<std::filesystem::path> find_debuginfo_by_build_id(std::string_view build_id_hex) {
    const std::string urls = debuginfod_urls();
    auto build_id = normalized_build_id(build_id_hex);
    if (!build_id) {
        return fail_as(ErrorKind::invalid_input, "'{}' is not a build-id (hex digits in pairs)",
                       build_id_hex);
    }
    if (urls.empty()) {
        return fail("DEBUGINFOD_URLS is not set: no debuginfod server to ask for build-id {}",
                    *build_id);
    }
    std::unique_ptr<debuginfod_client, ClientDeleter> client(debuginfod_begin());
    if (!client) {
        return fail("debuginfod: cannot start a client (DEBUGINFOD_URLS={}) for build-id {}", urls,
                    *build_id);
    }
    char* path = nullptr;
    // A length of 0 tells libdebuginfod the build-id is already hex text.
    const int fd = debuginfod_find_debuginfo(
        client.get(), reinterpret_cast<const unsigned char*>(build_id->c_str()), 0, &path);
    if (fd < 0) {
        const int code = -fd;
        return fail("debuginfod (DEBUGINFOD_URLS={}) has no debug file for build-id {}: {}", urls,
                    *build_id,
                    code == ENOENT ? std::string("not found on any server")
                                   : std::string(std::strerror(code)));
    }
    close(fd);
    std::filesystem::path found = path != nullptr ? path : "";
    std::free(path); // libdebuginfod allocates it with malloc
    if (found.empty()) {
        return fail("debuginfod (DEBUGINFOD_URLS={}) gave no path for build-id {}", urls,
                    *build_id);
    }
    return found;
}

} // namespace kdive::debuginfo
