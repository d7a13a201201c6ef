// Memory read from the ELF file's own sections, for inspecting a kernel with no target.
#pragma once

#include "debuginfo/elf_file.hpp"
#include "eval/memory_reader.hpp"

namespace kdive::eval {

// Initial values as linked: .data/.rodata from the file, .bss as zeros; read-only.
class ElfMemory final : public MemoryReader {
public:
    explicit ElfMemory(const debuginfo::ElfFile& file) : file_(file) {}
    Result<std::vector<std::byte>> read(std::uint64_t address, std::size_t length) override;
    Result<> write(std::uint64_t address, std::span<const std::byte> bytes) override;

private:
    const debuginfo::ElfFile& file_;
};

} // namespace kdive::eval
