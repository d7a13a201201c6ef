// A dump of a machine's memory: guest-physical memory plus the ELF notes the dumper wrote
// (per-CPU registers, VMCOREINFO). ELF vmcores and makedumpfile's kdump-compressed files (plain
// and flattened) both reduce to this; open_core_file tells them apart by content.
#pragma once

#include "support/error.hpp"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace kdive::target {

// One ELF note as the dumper wrote it (name without its NUL; NT_PRSTATUS = 1, QEMU's CPU
// state = type 0 named "QEMU", VMCOREINFO = type 0 named "VMCOREINFO").
struct CoreNote {
    std::string name;
    std::uint32_t type = 0;
    std::vector<std::uint8_t> desc;
};

// The note type of a CPU's general registers (NT_PRSTATUS, named "CORE").
constexpr std::uint32_t nt_prstatus = 1;

// ELF notes pad their name and desc to 4 bytes.
constexpr std::size_t note_align(std::size_t n) {
    return (n + 3) & ~std::size_t{3};
}

// A dump whose notes claim more than this is refused: real ones hold a few kilobytes per CPU.
constexpr std::uint64_t max_core_notes_bytes = 64u << 20;

// Parses a buffer of ELF notes (4-byte aligned name and desc, native little-endian); an error
// names the offset of the first note that runs past the end.
Result<std::vector<CoreNote>> parse_core_notes(std::span<const std::uint8_t> bytes);

class CoreFile {
public:
    virtual ~CoreFile() = default;

    // "elf", "kdump" or "kdump (flattened)" and, for kdump files, the page compression seen.
    virtual std::string describe() const = 0;
    virtual const std::filesystem::path& path() const = 0;
    virtual const std::vector<CoreNote>& notes() const = 0;
    // The machine the dump declares, as an ELF e_machine (the ELF header's; the kdump header's
    // uname machine), or 0 when it does not say.
    virtual std::uint16_t machine() const { return 0; }
    // All bytes of [address, address + out.size()) or an error of kind `unmapped` naming the
    // first physical address the file lacks ("not in the dump" / "excluded from the dump").
    virtual Result<> read_physical(std::uint64_t address, std::span<std::uint8_t> out) = 0;
    // The highest physical address + 1 the dump describes (for sizing scans).
    virtual std::uint64_t physical_end() const = 0;
};

// Opens an ELF core or a kdump-compressed file (plain or flattened), by its first bytes.
Result<std::unique_ptr<CoreFile>> open_core_file(const std::filesystem::path& path);
// Whether the file starts like a dump kdive can open (for telling it from a session folder or
// an endpoint on the command line).
bool looks_like_core_file(const std::filesystem::path& path);

} // namespace kdive::target
