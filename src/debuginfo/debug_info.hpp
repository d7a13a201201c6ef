// One kernel image's debug info: ELF symbols, BTF and DWARF behind a single lookup surface.
#pragma once

#include "arch/architecture.hpp"
#include "debuginfo/btf_types.hpp"
#include "debuginfo/dwarf_index.hpp"
#include "debuginfo/dwarf_types.hpp"
#include "debuginfo/elf_file.hpp"
#include "debuginfo/source_lines.hpp"
#include "debuginfo/symbol_table.hpp"
#include "debuginfo/type_source.hpp"

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

struct Dwfl;

namespace kdive::debuginfo {

struct DebugInfoOptions {
    // Where the DWARF index cache lives; empty disables caching.
    std::filesystem::path cache_root;
    unsigned index_threads = 2;
    bool use_btf = true;
    // An index still being built when the DebugInfo goes is finished by a detached process
    // (so a one-question command ends at once) instead of being waited for.
    bool finish_index_detached = false;
};

// A global variable or function as the expression layer sees it.
struct Variable {
    std::string name;
    std::uint64_t address = 0;
    const Type* type = nullptr; // the function type for functions
    bool is_function = false;
    bool per_cpu = false; // lives in .data..percpu: address is an offset into each CPU's area
    std::string section;
};

class DebugInfo {
public:
    static Result<std::unique_ptr<DebugInfo>> open(const std::filesystem::path& path,
                                                   const DebugInfoOptions& options = {});
    // A relocatable object (a kernel module's .ko) placed where its sections were loaded:
    // symbols and DWARF answer with runtime addresses. Sections `sections` does not name
    // were not loaded.
    static Result<std::unique_ptr<DebugInfo>>
    open_relocated(const std::filesystem::path& path,
                   const std::map<std::string, std::uint64_t, std::less<>>& sections);
    ~DebugInfo();
    DebugInfo(const DebugInfo&) = delete;
    DebugInfo& operator=(const DebugInfo&) = delete;

    const ElfFile& elf() const { return *elf_; }
    // The image's architecture (x86-64 for an ELF machine kdive does not know).
    const arch::Architecture& architecture() const {
        const arch::Architecture* found = arch::architecture_of_elf(elf_->machine());
        return found != nullptr ? *found : arch::x86_64_architecture();
    }
    const SymbolTable& symbols();
    // Where the kernel image is linked: x86-64's 1 GiB image mapping (KASLR moves the image
    // inside it, modules sit above it); arm64's _text to _end (modules sit below it).
    struct ImageRange {
        std::uint64_t start = 0;
        std::uint64_t end = 0;
        bool contains(std::uint64_t address) const { return address >= start && address < end; }
    };
    ImageRange image_range();
    bool has_btf() const { return btf_ != nullptr; }
    bool has_dwarf() const { return has_dwarf_; }

    // BTF first (cheap), then DWARF (indexed on first need).
    const Type* find_type(std::string_view name, TypeTag tag);
    // The names of one tag's types, for completion: from BTF (DWARF's index cannot list them);
    // empty without BTF.
    std::vector<std::string> type_names(TypeTag tag);
    // "No symbol "x" in current context." when neither the symbol table nor the types know it.
    Result<Variable> find_variable(std::string_view name);
    std::optional<Enumerated> find_enumerator(std::string_view name);
    std::optional<SourceLine> source_line(std::uint64_t address);

    // The DWARF index, loaded from the cache or built (and cached), waiting for a build in
    // progress; null without DWARF.
    const DwarfIndex* dwarf_index();
    // One name through the index; while it is being built, answered early where it can be.
    std::optional<std::uint64_t> find_dwarf_name(DwarfNameKind kind, std::string_view name);
    // libdw's handle (null without DWARF) and the DWARF type reader (null without an index),
    // for readers of function scopes and locations.
    Dwarf* dwarf();
    DwarfTypes* dwarf_types();
    // Messages worth showing once: a rebuilt cache, a malformed BTF section.
    std::vector<std::string> take_notes();

private:
    DebugInfo() = default;

    std::unique_ptr<ElfFile> elf_;
    std::optional<ImageRange> image_range_;
    DebugInfoOptions options_;
    // Set for a relocated object: libdwfl owns its Dwarf handle, and symbols move by
    // section.
    Dwfl* dwfl_ = nullptr;
    std::vector<std::uint64_t> section_bases_;
    std::optional<SymbolTable> symbols_;
    std::unique_ptr<BtfTypes> btf_;
    bool has_dwarf_ = false;
    Dwarf* dwarf_ = nullptr;
    bool dwarf_tried_ = false;
    // Loads the cached index or starts building it; false without usable DWARF.
    bool start_index();

    std::optional<DwarfIndex> index_; // from the cache, or a module's
    std::unique_ptr<PendingDwarfIndex> pending_;
    bool index_tried_ = false;
    bool index_failed_noted_ = false;
    std::unique_ptr<DwarfTypes> dwarf_types_;
    std::vector<std::string> notes_;
    // Set on the building thread before the pending index reports itself finished.
    std::optional<std::string> cache_error_;
};

} // namespace kdive::debuginfo
