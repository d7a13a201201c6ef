// Serialize, compress, then rename into place.
#include "lab/archive_output.hpp"

#include "support/atomic_file.hpp"

#include <charconv>
#include <cstdlib>
#include <ctime>
#include <string_view>

namespace kdive::lab {

uint32_t archive_mtime(std::optional<uint32_t> fixed) {
    if (fixed) {
        return *fixed;
    }
    if (const char* epoch = std::getenv("SOURCE_DATE_EPOCH"); epoch != nullptr) {
        uint32_t value = 0;
        std::string_view text(epoch);
        auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
        if (ec == std::errc() && ptr == text.data() + text.size()) {
            return value;
        }
    }
    return static_cast<uint32_t>(std::time(nullptr));
}

Result<size_t> write_archive(const std::filesystem::path& out,
                             const std::vector<CpioEntry>& entries, const CpioOptions& options,
                             Compression compression) {
    auto packed = compress(write_newc(entries, options), compression);
    if (!packed) {
        return std::unexpected(packed.error());
    }
    if (auto r = write_file_atomically(out, *packed); !r) {
        return std::unexpected(r.error());
    }
    return packed->size();
}

} // namespace kdive::lab
