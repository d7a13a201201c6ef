// Core-file notes and opening a dump by its first bytes.
#include "target/core_file.hpp"

#include "target/elf_core_file.hpp"
#include "target/kdump_file.hpp"

#include <array>
#include <cstring>
#include <fstream>

namespace kdive::target {

namespace {

std::uint32_t load_u32(std::span<const std::uint8_t> bytes, std::size_t at) {
    std::uint32_t value = 0;
    std::memcpy(&value, bytes.data() + at, sizeof value);
    return value;
}

enum class CoreKind { none, elf, kdump };

CoreKind kind_of(std::span<const char> head) {
    const std::string_view text(head.data(), head.size());
    if (text.starts_with("\x7f"
                         "ELF")) {
        return CoreKind::elf;
    }
    if (text.starts_with("KDUMP   ") || text.starts_with("makedumpfile")) {
        return CoreKind::kdump;
    }
    return CoreKind::none;
}

Result<CoreKind> read_kind(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return fail("{}: cannot open: {}", path.string(), std::strerror(errno));
    }
    std::array<char, 16> head{};
    in.read(head.data(), head.size());
    return kind_of(std::span<const char>(head.data(), static_cast<std::size_t>(in.gcount())));
}

} // namespace

Result<std::vector<CoreNote>> parse_core_notes(std::span<const std::uint8_t> bytes) {
    std::vector<CoreNote> notes;
    std::size_t at = 0;
    while (at + 12 <= bytes.size()) {
        const std::uint32_t name_size = load_u32(bytes, at);
        const std::uint32_t desc_size = load_u32(bytes, at + 4);
        const std::uint32_t type = load_u32(bytes, at + 8);
        const std::size_t name_at = at + 12;
        // Sizes are 32-bit: their aligned sum cannot overflow a 64-bit size_t.
        const std::size_t desc_at = name_at + note_align(name_size);
        const std::size_t end = desc_at + note_align(desc_size);
        if (desc_at + desc_size > bytes.size()) {
            return fail_as(ErrorKind::corrupt,
                           "note at offset {:#x}: name of {} and description of {} bytes run past "
                           "the end of the {} bytes of notes",
                           at, name_size, desc_size, bytes.size());
        }
        CoreNote note;
        note.name.assign(reinterpret_cast<const char*>(bytes.data() + name_at), name_size);
        while (!note.name.empty() && note.name.back() == '\0') {
            note.name.pop_back();
        }
        note.type = type;
        note.desc.assign(bytes.begin() + static_cast<std::ptrdiff_t>(desc_at),
                         bytes.begin() + static_cast<std::ptrdiff_t>(desc_at + desc_size));
        notes.push_back(std::move(note));
        at = std::min(end, bytes.size());
        if (name_size == 0 && desc_size == 0 && type == 0) {
            break; // zero padding after the last note
        }
    }
    return notes;
}

bool looks_like_core_file(const std::filesystem::path& path) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) {
        return false;
    }
    auto kind = read_kind(path);
    return kind && *kind != CoreKind::none;
}

Result<std::unique_ptr<CoreFile>> open_core_file(const std::filesystem::path& path) {
    auto kind = read_kind(path);
    if (!kind) {
        return std::unexpected(kind.error());
    }
    switch (*kind) {
    case CoreKind::elf:
        return open_elf_core_file(path);
    case CoreKind::kdump:
        return open_kdump_file(path);
    case CoreKind::none:
        break;
    }
    return fail_as(ErrorKind::invalid_input,
                   "{}: not a vmcore (neither an ELF core file nor a kdump-compressed dump)",
                   path.string());
}

} // namespace kdive::target
