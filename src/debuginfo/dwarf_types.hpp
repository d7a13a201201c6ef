// Types, variables and functions from DWARF (libdw), found through the DwarfIndex.
#pragma once

#include "debuginfo/dwarf_index.hpp"
#include "debuginfo/type_source.hpp"

#include <cstdint>
#include <elfutils/libdw.h>
#include <memory>
#include <unordered_map>
#include <vector>

namespace kdive::debuginfo {

class DwarfTypes final : public TypeSource, private TypeLoader {
public:
    // Both must outlive this object; the index maps names to DIE offsets in `dwarf`.
    DwarfTypes(Dwarf* dwarf, const DwarfIndex* index) : dwarf_(dwarf), index_(index) {}

    const Type* find_type(std::string_view name, TypeTag tag) override;
    const Type* find_variable_type(std::string_view name) override;
    const Type* find_function_type(std::string_view name) override;
    std::string_view source_name() const override { return "DWARF"; }
    std::optional<Enumerated> find_enumerator(std::string_view name) override;
    // The type described by the DIE at a .debug_info offset.
    const Type* type_at(std::uint64_t die_offset) const { return load(die_offset); }

private:
    const Type* load(std::uint64_t offset) const override;
    Type convert(Dwarf_Die* die) const;
    LazyType type_attribute(Dwarf_Die* die) const;
    void convert_members(Dwarf_Die* die, Type& type) const;
    void convert_array(Dwarf_Die* die, Type& type) const;
    void convert_function(Dwarf_Die* die, Type& type) const;
    const Type* own(Type type) const;

    Dwarf* dwarf_;
    const DwarfIndex* index_;
    mutable std::unordered_map<std::uint64_t, std::unique_ptr<Type>> converted_;
    mutable std::vector<std::unique_ptr<Type>> extra_; // inner dimensions of arrays
};

} // namespace kdive::debuginfo
