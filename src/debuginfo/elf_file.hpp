// An opened ELF file: its sections, build-id and the bytes behind a virtual address.
#pragma once

#include "support/error.hpp"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

struct Elf;
struct Elf_Scn;

namespace kdive::debuginfo {

struct ElfSection {
    std::string name;
    std::uint64_t address = 0;
    std::uint64_t size = 0;
    std::uint64_t file_offset = 0;
    std::uint32_t type = 0;  // SHT_*
    std::uint64_t flags = 0; // SHF_*
    std::size_t index = 0;
    Elf_Scn* scn = nullptr;

    bool allocated() const;
    bool has_file_bytes() const; // false for SHT_NOBITS (.bss): reads as zeros
};

class ElfFile {
public:
    // Opens and validates the file; a corrupt or truncated file fails here with a clear message.
    static Result<std::unique_ptr<ElfFile>> open(const std::filesystem::path& path);
    ~ElfFile();
    ElfFile(const ElfFile&) = delete;
    ElfFile& operator=(const ElfFile&) = delete;

    const std::filesystem::path& path() const { return path_; }
    Elf* elf() const { return elf_; }
    int fd() const { return fd_; }
    std::uint64_t file_size() const { return file_size_; }
    std::uint16_t machine() const { return machine_; }
    std::uint16_t elf_type() const { return elf_type_; }

    const std::vector<ElfSection>& sections() const { return sections_; }
    const ElfSection* find_section(std::string_view name) const;
    // The allocated section whose address range holds addr (the lowest one, skipping empty ones).
    const ElfSection* section_at(std::uint64_t address) const;
    // Raw bytes of a section as stored in the file (mapped, no copy).
    Result<std::span<const std::byte>> section_bytes(const ElfSection& section) const;

    // Lower-case hex of the GNU build-id note, when the file has one.
    const std::optional<std::string>& build_id() const { return build_id_; }

    // Reads bytes at a virtual address from the loadable sections; .bss-like sections read as
    // zeros. Fails naming the address when no section covers all of it.
    Result<std::vector<std::byte>> read_address(std::uint64_t address, std::size_t length) const;

private:
    ElfFile() = default;
    Result<> load_sections();
    void load_build_id();

    std::filesystem::path path_;
    int fd_ = -1;
    Elf* elf_ = nullptr;
    std::uint64_t file_size_ = 0;
    std::uint16_t machine_ = 0;
    std::uint16_t elf_type_ = 0;
    std::vector<ElfSection> sections_;
    std::optional<std::string> build_id_;
};

} // namespace kdive::debuginfo
