// Types, variables and functions from DWARF (libdw), found through the DwarfIndex.
#pragma once

#include "debuginfo/dwarf_index.hpp"
#include "debuginfo/type_source.hpp"

#include <cstdint>
#include <elfutils/libdw.h>
#include <functional>
#include <memory>
#include <unordered_map>
#include <vector>

namespace kdive::debuginfo {

class DwarfTypes final : public TypeSource, private TypeLoader {
public:
    // The DIE offset in `dwarf` of the best entry for a name (the DwarfIndex's answer).
    using NameLookup = std::function<std::optional<std::uint64_t>(DwarfNameKind, std::string_view)>;
    // `dwarf` must outlive this object.
    DwarfTypes(Dwarf* dwarf, NameLookup find_name)
        : dwarf_(dwarf), find_name_(std::move(find_name)) {}

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
    NameLookup find_name_;
    mutable std::unordered_map<std::uint64_t, std::unique_ptr<Type>> converted_;
    mutable std::vector<std::unique_ptr<Type>> extra_; // inner dimensions of arrays
};

} // namespace kdive::debuginfo
