// ELF note serialization: the inverse of parse_core_notes.
#include "target/core_note_writer.hpp"

#include <cstring>

namespace kdive::target {

namespace {

void append_u32(std::vector<std::uint8_t>& out, std::uint32_t value) {
    const auto at = out.size();
    out.resize(at + sizeof value);
    std::memcpy(out.data() + at, &value, sizeof value);
}

} // namespace

NoteBuffer serialize_core_notes(std::span<const CoreNote> notes) {
    NoteBuffer buffer;
    for (const auto& note : notes) {
        const std::size_t name_size = note.name.size() + 1;
        append_u32(buffer.bytes, static_cast<std::uint32_t>(name_size));
        append_u32(buffer.bytes, static_cast<std::uint32_t>(note.desc.size()));
        append_u32(buffer.bytes, note.type);
        buffer.bytes.insert(buffer.bytes.end(), note.name.begin(), note.name.end());
        buffer.bytes.resize(buffer.bytes.size() + note_align(name_size) - note.name.size(), 0);
        buffer.desc_offsets.push_back(buffer.bytes.size());
        buffer.bytes.insert(buffer.bytes.end(), note.desc.begin(), note.desc.end());
        buffer.bytes.resize(buffer.bytes.size() + note_align(note.desc.size()) - note.desc.size(),
                            0);
    }
    return buffer;
}

} // namespace kdive::target
