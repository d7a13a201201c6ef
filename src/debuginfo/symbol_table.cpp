// Loads ELF symbols into an address-sorted table with a name index.
#include "debuginfo/symbol_table.hpp"

#include <algorithm>
#include <gelf.h>
#include <libelf.h>

namespace kdive::debuginfo {

namespace {

SymbolKind kind_of(unsigned char info) {
    switch (GELF_ST_TYPE(info)) {
    case STT_FUNC:
        return SymbolKind::function;
    case STT_OBJECT:
    case STT_TLS:
        return SymbolKind::object;
    default:
        return SymbolKind::other;
    }
}

} // namespace

Result<SymbolTable> SymbolTable::load(const ElfFile& file,
                                      std::span<const std::uint64_t> section_bases) {
    const ElfSection* symtab = file.find_section(".symtab");
    if (symtab == nullptr) {
        symtab = file.find_section(".dynsym");
    }
    SymbolTable table;
    if (symtab == nullptr) {
        return table;
    }
    GElf_Shdr shdr;
    if (gelf_getshdr(symtab->scn, &shdr) == nullptr || shdr.sh_entsize == 0) {
        return fail("{}: corrupt symbol table header", file.path().string());
    }
    Elf_Data* data = elf_getdata(symtab->scn, nullptr);
    if (data == nullptr) {
        return fail("{}: cannot read symbol table: {}", file.path().string(), elf_errmsg(-1));
    }
    const std::size_t count = shdr.sh_size / shdr.sh_entsize;
    const auto& sections = file.sections();
    table.by_address_.reserve(count);
    for (std::size_t i = 1; i < count; ++i) {
        GElf_Sym sym;
        if (gelf_getsym(data, static_cast<int>(i), &sym) == nullptr) {
            return fail("{}: corrupt symbol #{}", file.path().string(), i);
        }
        const unsigned type = GELF_ST_TYPE(sym.st_info);
        if (type == STT_SECTION || type == STT_FILE || sym.st_shndx == SHN_UNDEF ||
            sym.st_shndx >= SHN_LORESERVE) {
            continue;
        }
        if (!section_bases.empty()) {
            if (sym.st_shndx >= section_bases.size() || section_bases[sym.st_shndx] == 0) {
                continue;
            }
            sym.st_value += section_bases[sym.st_shndx];
        }
        const char* name = elf_strptr(file.elf(), shdr.sh_link, sym.st_name);
        if (name == nullptr || *name == '\0') {
            continue;
        }
        // Objects are never code, even where a kernel's .data is marked executable (sid).
        const bool text = GELF_ST_TYPE(sym.st_info) != STT_OBJECT &&
                          sym.st_shndx < sections.size() + 1 && sym.st_shndx > 0 &&
                          (sections[sym.st_shndx - 1].flags & SHF_EXECINSTR) != 0;
        table.by_address_.push_back(Symbol{name, sym.st_value, sym.st_size, kind_of(sym.st_info),
                                           GELF_ST_BIND(sym.st_info) != STB_LOCAL, text,
                                           static_cast<std::uint16_t>(sym.st_shndx)});
    }
    // Among symbols at one address, functions and objects first, then globals, so lookups
    // name the most meaningful one.
    std::stable_sort(table.by_address_.begin(), table.by_address_.end(),
                     [](const Symbol& a, const Symbol& b) {
                         if (a.address != b.address) {
                             return a.address < b.address;
                         }
                         const bool a_typed = a.kind != SymbolKind::other;
                         const bool b_typed = b.kind != SymbolKind::other;
                         if (a_typed != b_typed) {
                             return a_typed;
                         }
                         return a.global && !b.global;
                     });
    table.by_name_.reserve(table.by_address_.size());
    for (std::uint32_t i = 0; i < table.by_address_.size(); ++i) {
        const Symbol& symbol = table.by_address_[i];
        auto [it, inserted] = table.by_name_.try_emplace(symbol.name, i);
        if (!inserted && symbol.global && !table.by_address_[it->second].global) {
            it->second = i;
        }
    }
    return table;
}

const Symbol* SymbolTable::find(std::string_view name) const {
    auto it = by_name_.find(name);
    return it == by_name_.end() ? nullptr : &by_address_[it->second];
}

std::optional<SymbolOffset> SymbolTable::lookup(std::uint64_t address) const {
    auto end = std::upper_bound(by_address_.begin(), by_address_.end(), address,
                                [](std::uint64_t a, const Symbol& s) { return a < s.address; });
    if (end == by_address_.begin()) {
        return std::nullopt;
    }
    // Symbols at the nearest address below, best-ranked first.
    auto first = std::prev(end);
    while (first != by_address_.begin() && std::prev(first)->address == first->address) {
        --first;
    }
    for (auto s = first; s != end; ++s) {
        if (s->size > 0 && address - s->address < s->size) {
            return SymbolOffset{&*s, address - s->address};
        }
    }
    for (auto s = first; s != end; ++s) {
        if (s->size == 0 && s->text) {
            return SymbolOffset{&*s, address - s->address};
        }
    }
    // Sizeless data labels may sit inside a larger object: look a little further back.
    auto s = first;
    for (int steps = 0; steps < 64 && s != by_address_.begin(); ++steps) {
        --s;
        if (s->size > 0 && address - s->address < s->size) {
            return SymbolOffset{&*s, address - s->address};
        }
    }
    return std::nullopt;
}

const Symbol* SymbolTable::function_at(std::uint64_t address) const {
    auto found = lookup(address);
    if (!found || found->symbol == nullptr) {
        return nullptr;
    }
    if (found->symbol->size != 0) {
        return found->symbol;
    }
    auto after = std::upper_bound(by_address_.begin(), by_address_.end(), address,
                                  [](std::uint64_t a, const Symbol& s) { return a < s.address; });
    // Labels sit close to their function's start: look back a little way only.
    for (int steps = 0; after != by_address_.begin() && steps < 256; ++steps) {
        --after;
        if ((after->kind == SymbolKind::function || after->text) && after->size != 0 &&
            address < after->address + after->size) {
            return &*after;
        }
    }
    return found->symbol;
}

} // namespace kdive::debuginfo
