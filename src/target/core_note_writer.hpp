// Lays CoreNotes out as an ELF note buffer again, for dumps kdive writes.
#pragma once

#include "target/core_file.hpp"

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace kdive::target {

struct NoteBuffer {
    std::vector<std::uint8_t> bytes;
    std::vector<std::size_t> desc_offsets; // where each note's description starts in `bytes`
};

// The layout parse_core_notes reads: namesz (with its NUL), descsz, type, then name and
// description each padded to 4 bytes, in native byte order.
NoteBuffer serialize_core_notes(std::span<const CoreNote> notes);

} // namespace kdive::target
