// The small interface both BTF and DWARF answer type questions through.
#pragma once

#include "debuginfo/type.hpp"

#include <cstdint>
#include <optional>
#include <string_view>

namespace kdive::debuginfo {

// Which C name space a type name lives in: `struct foo` and a typedef `foo` are different.
enum class TypeTag { ordinary, struct_tag, union_tag, enum_tag };

// An enum constant used as a plain identifier, and the enum it belongs to.
struct Enumerated {
    std::int64_t value = 0;
    const Type* type = nullptr;
};

class TypeSource {
public:
    virtual ~TypeSource() = default;
    // nullptr when this source does not know the name; complete definitions win over
    // forward declarations.
    virtual const Type* find_type(std::string_view name, TypeTag tag) = 0;
    // Type of a global or per-CPU variable; nullptr when unknown to this source.
    virtual const Type* find_variable_type(std::string_view name) = 0;
    // Function type (kind function) of a named function; nullptr when unknown.
    virtual const Type* find_function_type(std::string_view name) = 0;
    virtual std::optional<Enumerated> find_enumerator(std::string_view name) = 0;
    virtual std::string_view source_name() const = 0; // "BTF", "DWARF"
};

} // namespace kdive::debuginfo
