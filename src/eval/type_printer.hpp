// Prints types in C syntax the way GDB's ptype and whatis do.
#pragma once

#include "debuginfo/type.hpp"

#include <string>
#include <string_view>

namespace kdive::eval {

using debuginfo::Type;

// `show` follows GDB: > 0 expands struct/union/enum bodies (and looks through typedefs at
// the base of the declarator), 0 prints names but still expands anonymous aggregates,
// < 0 prints `struct {...}` for anonymous ones.
std::string format_declaration(const Type* type, std::string_view name, int show, int indent = 0);

// The type's name as in `whatis` and in `(struct task_struct *) 0x...`.
inline std::string type_name(const Type* type) {
    return format_declaration(type, "", -1);
}

} // namespace kdive::eval
