// Reads and writes the DWARF index cache: header with magic, version, key and checksum.
#include "debuginfo/index_cache.hpp"

#include "support/atomic_file.hpp"

#include <cstring>
#include <string_view>

namespace kdive::debuginfo {

namespace {

constexpr std::string_view magic = "KDIVEIDX";
constexpr std::uint32_t format_version = 5;

// FNV-1a over 8-byte words (then the tail byte by byte): a file of several MB is checked in
// about a millisecond.
std::uint64_t checksum_of(std::string_view bytes) {
    std::uint64_t hash = 0xcbf29ce484222325ULL;
    std::size_t at = 0;
    for (; at + 8 <= bytes.size(); at += 8) {
        std::uint64_t word = 0;
        std::memcpy(&word, bytes.data() + at, 8);
        hash = (hash ^ word) * 0x100000001b3ULL;
        hash ^= hash >> 32;
    }
    for (; at < bytes.size(); ++at) {
        hash = (hash ^ static_cast<unsigned char>(bytes[at])) * 0x100000001b3ULL;
    }
    return hash;
}

template <typename T> void put(std::string& out, T value) {
    char bytes[sizeof(T)];
    std::memcpy(bytes, &value, sizeof(T));
    out.append(bytes, sizeof(T));
}

template <typename T> bool get(std::string_view in, std::size_t& at, T& value) {
    if (at > in.size() || in.size() - at < sizeof(T)) {
        return false;
    }
    std::memcpy(&value, in.data() + at, sizeof(T));
    at += sizeof(T);
    return true;
}

} // namespace

std::filesystem::path index_cache_path(const std::filesystem::path& cache_root,
                                       const std::string& build_id) {
    return cache_root / "index" / (build_id + ".dwarf-index");
}

// Layout: magic, version u32, build-id length u32 + bytes, ELF size u64, payload size u64,
// payload checksum u64, payload.
Result<DwarfIndex> load_index_cache(const std::filesystem::path& path, const IndexKey& key) {
    auto contents = read_file(path);
    if (!contents) {
        return std::unexpected(contents.error());
    }
    const std::string_view in(*contents);
    std::size_t at = 0;
    if (in.substr(0, magic.size()) != magic) {
        return fail("{}: not a kdive index (bad magic)", path.string());
    }
    at = magic.size();
    std::uint32_t version = 0;
    std::uint32_t id_size = 0;
    if (!get(in, at, version) || version != format_version) {
        return fail("{}: index format version {} is not {}", path.string(), version,
                    format_version);
    }
    if (!get(in, at, id_size) || id_size > in.size() - at ||
        in.substr(at, id_size) != key.build_id) {
        return fail("{}: index belongs to another build-id", path.string());
    }
    at += id_size;
    std::uint64_t file_size = 0;
    std::uint64_t payload_size = 0;
    std::uint64_t checksum = 0;
    if (!get(in, at, file_size) || !get(in, at, payload_size) || !get(in, at, checksum)) {
        return fail("{}: index header is cut short", path.string());
    }
    if (file_size != key.file_size) {
        return fail("{}: index was built for a file of {} bytes, not {}", path.string(), file_size,
                    key.file_size);
    }
    if (payload_size != in.size() - at) {
        return fail("{}: index is truncated ({} of {} bytes)", path.string(), in.size() - at,
                    payload_size);
    }
    const std::string_view payload = in.substr(at);
    if (checksum_of(payload) != checksum) {
        return fail("{}: index checksum mismatch", path.string());
    }
    auto index = DwarfIndex::deserialize(payload);
    if (!index) {
        return wrap(index.error(), path.string());
    }
    return index;
}

Result<> store_index_cache(const std::filesystem::path& path, const IndexKey& key,
                           const DwarfIndex& index) {
    std::error_code ec;
    std::filesystem::create_directories(path.parent_path(), ec);
    if (ec) {
        return fail("cannot create {}: {}", path.parent_path().string(), ec.message());
    }
    const std::string payload = index.serialize();
    std::string out(magic);
    put(out, format_version);
    put(out, static_cast<std::uint32_t>(key.build_id.size()));
    out.append(key.build_id);
    put(out, key.file_size);
    put(out, static_cast<std::uint64_t>(payload.size()));
    put(out, checksum_of(payload));
    out.append(payload);
    return write_file_atomically(path, out, 0644, /*durable=*/false); // checked by its checksum
}

} // namespace kdive::debuginfo
