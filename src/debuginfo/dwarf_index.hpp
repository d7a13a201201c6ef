// A name → DIE index over the top-level DWARF entries of every unit, built in parallel.
#pragma once

#include "debuginfo/elf_file.hpp"
#include "support/error.hpp"

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

struct Dwarf;

namespace kdive::debuginfo {

enum class DwarfNameKind : std::uint8_t {
    struct_tag,
    union_tag,
    enum_tag,
    ordinary_type, // typedefs and base types
    variable,
    function,
    enumerator, // maps to the enclosing enumeration type's DIE
};
inline constexpr std::size_t dwarf_name_kind_count = 7;

class DwarfIndex {
public:
    // Walks every unit's top-level DIEs (not their subtrees) with `threads` workers, each
    // with its own libelf/libdw handles since those are not thread-safe.
    static Result<DwarfIndex> build(const ElfFile& file, unsigned threads);
    // Over an open (e.g. relocated) Dwarf handle, on this thread: for small objects.
    static DwarfIndex build(Dwarf* dwarf);

    // Global .debug_info offset of the best DIE for the name: definitions win over
    // declarations, then the first unit in file order.
    std::optional<std::uint64_t> find(DwarfNameKind kind, std::string_view name) const;
    std::size_t size() const;
    bool empty() const { return size() == 0; }
    // The same names lead to the same DIEs.
    bool operator==(const DwarfIndex& other) const { return maps_ == other.maps_; }

    // A compact byte form for the on-disk cache, and back (validation is the caller's job;
    // parse still fails cleanly on short or inconsistent input).
    std::string serialize() const;
    static Result<DwarfIndex> deserialize(std::string_view bytes);

    DwarfIndex() = default;
    DwarfIndex(DwarfIndex&&) = default;
    DwarfIndex& operator=(DwarfIndex&&) = default;

private:
    struct Builder;
    using NameMap = std::unordered_map<std::string_view, std::uint64_t>;
    // All names back to back; the maps' keys point into it, so it lives on the heap and
    // survives moves of the index.
    std::unique_ptr<std::string> storage_ = std::make_unique<std::string>();
    std::array<NameMap, dwarf_name_kind_count> maps_;
};

} // namespace kdive::debuginfo
