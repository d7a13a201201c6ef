// Streams a package's data tarball into tar without writing the tarball to disk.
#include "lab/deb_unpacker.hpp"

#include "support/pipeline.hpp"

namespace kdive::lab {

bool only_missing_members(const std::string& tar_stderr) {
    size_t start = 0;
    bool any = false;
    while (start < tar_stderr.size()) {
        size_t end = tar_stderr.find('\n', start);
        if (end == std::string::npos) {
            end = tar_stderr.size();
        }
        std::string_view line(tar_stderr.data() + start, end - start);
        start = end + 1;
        if (line.empty()) {
            continue;
        }
        if (line.ends_with(": Not found in archive")) {
            any = true;
        } else if (line != "tar: Exiting with failure status due to previous errors") {
            return false;
        }
    }
    return any;
}

Result<> unpack_deb_members(const std::filesystem::path& deb, const std::filesystem::path& dest,
                            const std::vector<std::string>& members) {
    std::error_code ec;
    std::filesystem::create_directories(dest, ec);
    if (ec) {
        return fail("creating {}: {}", dest.string(), ec.message());
    }
    std::vector<std::string> tar{"tar", "-x", "-f", "-", "-C", dest.string(), "--no-same-owner"};
    tar.insert(tar.end(), members.begin(), members.end());
    auto run = run_pipeline({{"dpkg-deb", "--fsys-tarfile", deb.string()}, tar});
    if (!run) {
        return std::unexpected(run.error());
    }
    const auto& codes = run->exit_codes;
    // GNU tar exits 2 when a requested member is absent; package layouts differ between
    // releases, so each package is asked for every place a file may live.
    bool tar_ok = codes[1] == 0 || (codes[1] == 2 && only_missing_members(run->err));
    if (codes[0] != 0 || !tar_ok) {
        std::string detail =
            run->err.size() > 2000 ? run->err.substr(run->err.size() - 2000) : run->err;
        return fail("unpacking {} into {} failed (dpkg-deb exit {}, tar exit {}): {}", deb.string(),
                    dest.string(), codes[0], codes[1], detail);
    }
    return {};
}

} // namespace kdive::lab
