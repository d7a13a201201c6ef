// Types the evaluator makes up: pointers to known types, arrays for literals, C builtins.
#pragma once

#include "debuginfo/type.hpp"

#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace kdive::eval {

using debuginfo::Type;

class TypeArena {
public:
    const Type* pointer_to(const Type* target);
    const Type* array_of(const Type* element, std::optional<std::uint64_t> count);
    const Type* qualified(const Type* target, debuginfo::TypeKind qualifier);
    // C's builtin arithmetic types by canonical name ("unsigned long", "char", "_Bool");
    // nullptr for anything else.
    const Type* builtin(std::string_view name);
    const Type* int_type() { return builtin("int"); }
    const Type* long_type() { return builtin("long"); }
    const Type* unsigned_long_type() { return builtin("unsigned long"); }
    const Type* char_type() { return builtin("char"); }
    const Type* void_type();
    // What a symbol without debug info evaluates to: only & and casts may use it.
    const Type* no_debug_info(std::string_view symbol);
    // `void ()`, the type GDB gives $pc's target.
    const Type* code_type();

private:
    std::deque<Type> storage_;
    std::map<const Type*, const Type*> pointers_;
    std::map<std::pair<const Type*, std::uint64_t>, const Type*> arrays_;
    std::map<std::string, const Type*, std::less<>> builtins_;
    const Type* code_ = nullptr;
};

} // namespace kdive::eval
