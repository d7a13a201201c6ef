// The ELF symbol table: name → address and address → name+offset.
#pragma once

#include "debuginfo/elf_file.hpp"
#include "support/error.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace kdive::debuginfo {

enum class SymbolKind { function, object, other };

struct Symbol {
    std::string_view name; // points into the mapped string table of the ElfFile
    std::uint64_t address = 0;
    std::uint64_t size = 0;
    SymbolKind kind = SymbolKind::other;
    bool global = false;
    bool text = false; // in an executable section: labels without a size still name code
    std::uint16_t section_index = 0;
};

// A symbol covering (or preceding) an address, and how far into it the address lies.
struct SymbolOffset {
    const Symbol* symbol = nullptr;
    std::uint64_t offset = 0;
};

class SymbolTable {
public:
    // Reads .symtab (or .dynsym when stripped); the ElfFile must outlive the table.
    // `section_bases` (indexed by section number) places a relocatable object's symbols where
    // its sections were loaded; symbols of sections based at 0 there are left out.
    static Result<SymbolTable> load(const ElfFile& file,
                                    std::span<const std::uint64_t> section_bases = {});

    // Prefers a global definition when several symbols share the name (static functions).
    const Symbol* find(std::string_view name) const;
    // The symbol naming an address the way GDB does: a sized symbol containing it, or a
    // sizeless code label at or below it. Sizeless data labels (_sdata) and absolute symbols
    // name nothing.
    std::optional<SymbolOffset> lookup(std::uint64_t address) const;
    // The symbol naming a code address as GDB's bt does: a sized function containing it wins
    // over a sizeless label inside that function (secondary_startup_64 over
    // common_startup_64); otherwise what lookup() finds.
    const Symbol* function_at(std::uint64_t address) const;
    std::size_t size() const { return by_address_.size(); }
    const std::vector<Symbol>& symbols() const { return by_address_; }

private:
    std::vector<Symbol> by_address_;
    std::unordered_map<std::string_view, std::uint32_t> by_name_;
};

} // namespace kdive::debuginfo
