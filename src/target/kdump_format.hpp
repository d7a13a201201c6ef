// makedumpfile's kdump-compressed layout as it sits on disk (64-bit little-endian dumpers):
// field offsets and flags shared by the reader and the writer, plus byte-order helpers.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>

namespace kdive::target::kdump {

static_assert(std::endian::native == std::endian::little,
              "kdump files are read and written as the little-endian machines that make them");

inline constexpr std::string_view signature = "KDUMP   ";
inline constexpr std::string_view flat_signature = "makedumpfile";

// The flattened form: a header block (signature[16], type, version; big-endian), then records
// {offset, size} that place `size` bytes at `offset` of the plain file, ended by offset -1.
inline constexpr std::size_t flat_header_size = 4096;
inline constexpr std::size_t flat_record_header_size = 16;
inline constexpr std::int64_t flat_type = 1;
inline constexpr std::int64_t flat_version = 1;
inline constexpr std::int64_t flat_end = -1;

// disk_dump_header. utsname is six char[65]; makedumpfile's struct timeval follows at 8-byte
// alignment, QEMU writes a char[22] there: both put `status` at 424.
namespace header {
inline constexpr std::size_t version = 8;
inline constexpr std::size_t utsname = 12;
inline constexpr std::size_t utsname_field = 65;
inline constexpr std::size_t utsname_sysname = utsname;
inline constexpr std::size_t utsname_release = utsname + 2 * utsname_field;
inline constexpr std::size_t utsname_machine = utsname + 4 * utsname_field;
inline constexpr std::size_t timestamp = 408;
inline constexpr std::size_t status = 424;
inline constexpr std::size_t block_size = 428;
inline constexpr std::size_t sub_hdr_size = 432; // in blocks
inline constexpr std::size_t bitmap_blocks = 436;
inline constexpr std::size_t max_mapnr = 440; // 32-bit; header version 6 has the full one below
inline constexpr std::size_t total_ram_blocks = 444;
inline constexpr std::size_t device_blocks = 448;
inline constexpr std::size_t written_blocks = 452;
inline constexpr std::size_t current_cpu = 456;
inline constexpr std::size_t nr_cpus = 460;
inline constexpr std::size_t size = 464;
} // namespace header

// kdump_sub_header, at block 1. Fields exist from the header version in the comment on.
namespace sub_header {
inline constexpr std::size_t phys_base = 0;
inline constexpr std::size_t dump_level = 8;         // 1
inline constexpr std::size_t split = 12;             // 2
inline constexpr std::size_t start_pfn = 16;         // 2
inline constexpr std::size_t end_pfn = 24;           // 2
inline constexpr std::size_t offset_vmcoreinfo = 32; // 3
inline constexpr std::size_t size_vmcoreinfo = 40;   // 3
inline constexpr std::size_t offset_note = 48;       // 4
inline constexpr std::size_t size_note = 56;         // 4
inline constexpr std::size_t offset_eraseinfo = 64;  // 5
inline constexpr std::size_t size_eraseinfo = 72;    // 5
inline constexpr std::size_t start_pfn_64 = 80;      // 6
inline constexpr std::size_t end_pfn_64 = 88;        // 6
inline constexpr std::size_t max_mapnr_64 = 96;      // 6
inline constexpr std::size_t size = 104;
} // namespace sub_header

// page_desc_t: where one dumpable pfn's (compressed) bytes are.
namespace page_desc {
inline constexpr std::size_t offset = 0;
inline constexpr std::size_t size_field = 8;
inline constexpr std::size_t flags = 12;
inline constexpr std::size_t page_flags = 16;
inline constexpr std::size_t size = 24;
} // namespace page_desc

// Page descriptor flags; the header's `status` carries the same bits for the whole dump.
inline constexpr std::uint32_t compressed_zlib = 0x1;
inline constexpr std::uint32_t compressed_lzo = 0x2;
inline constexpr std::uint32_t compressed_snappy = 0x4;
inline constexpr std::uint32_t compressed_zstd = 0x20;
inline constexpr std::uint32_t compression_mask =
    compressed_zlib | compressed_lzo | compressed_snappy | compressed_zstd;
// In `status` only: the dumper stopped early (a full disk); later descriptors may be missing.
inline constexpr std::uint32_t status_incomplete = 0x8;

inline std::uint32_t load_le32(std::span<const std::uint8_t> bytes, std::size_t at) {
    std::uint32_t value = 0;
    std::memcpy(&value, bytes.data() + at, sizeof value);
    return value;
}

inline std::uint64_t load_le64(std::span<const std::uint8_t> bytes, std::size_t at) {
    std::uint64_t value = 0;
    std::memcpy(&value, bytes.data() + at, sizeof value);
    return value;
}

inline std::int64_t load_be64(std::span<const std::uint8_t> bytes, std::size_t at) {
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < 8; ++i) {
        value = value << 8 | bytes[at + i];
    }
    return static_cast<std::int64_t>(value);
}

inline void store_le32(std::span<std::uint8_t> bytes, std::size_t at, std::uint32_t value) {
    std::memcpy(bytes.data() + at, &value, sizeof value);
}

inline void store_le64(std::span<std::uint8_t> bytes, std::size_t at, std::uint64_t value) {
    std::memcpy(bytes.data() + at, &value, sizeof value);
}

inline void store_be64(std::span<std::uint8_t> bytes, std::size_t at, std::int64_t value) {
    auto bits = static_cast<std::uint64_t>(value);
    for (std::size_t i = 0; i < 8; ++i) {
        bytes[at + 7 - i] = static_cast<std::uint8_t>(bits & 0xff);
        bits >>= 8;
    }
}

} // namespace kdive::target::kdump
