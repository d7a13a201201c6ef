// Owns and deduplicates the evaluator's synthetic types.
#include "eval/type_arena.hpp"

#include <array>

namespace kdive::eval {

using debuginfo::IntEncoding;
using debuginfo::LazyType;
using debuginfo::TypeKind;

const Type* TypeArena::pointer_to(const Type* target) {
    auto it = pointers_.find(target);
    if (it != pointers_.end()) {
        return it->second;
    }
    Type& type = storage_.emplace_back();
    type.kind = TypeKind::pointer;
    type.size = 8;
    type.target = LazyType(target);
    pointers_.emplace(target, &type);
    return &type;
}

const Type* TypeArena::array_of(const Type* element, std::optional<std::uint64_t> count) {
    const auto key = std::pair(element, count.value_or(~0ull));
    auto it = arrays_.find(key);
    if (it != arrays_.end()) {
        return it->second;
    }
    Type& type = storage_.emplace_back();
    type.kind = TypeKind::array;
    type.target = LazyType(element);
    type.count = count;
    type.size = count.value_or(0) * debuginfo::strip_typedefs(element)->size;
    arrays_.emplace(key, &type);
    return &type;
}

const Type* TypeArena::qualified(const Type* target, TypeKind qualifier) {
    Type& type = storage_.emplace_back();
    type.kind = qualifier;
    type.target = LazyType(target);
    type.size = debuginfo::strip_typedefs(target)->size;
    return &type;
}

const Type* TypeArena::builtin(std::string_view name) {
    auto it = builtins_.find(name);
    if (it != builtins_.end()) {
        return it->second;
    }
    struct Builtin {
        std::string_view name;
        std::uint64_t size;
        IntEncoding encoding;
        TypeKind kind;
    };
    static constexpr std::array<Builtin, 16> builtins{{
        {"char", 1, IntEncoding::signed_char, TypeKind::integer},
        {"signed char", 1, IntEncoding::signed_char, TypeKind::integer},
        {"unsigned char", 1, IntEncoding::unsigned_char, TypeKind::integer},
        {"short", 2, IntEncoding::signed_int, TypeKind::integer},
        {"unsigned short", 2, IntEncoding::unsigned_int, TypeKind::integer},
        {"int", 4, IntEncoding::signed_int, TypeKind::integer},
        {"unsigned int", 4, IntEncoding::unsigned_int, TypeKind::integer},
        {"long", 8, IntEncoding::signed_int, TypeKind::integer},
        {"unsigned long", 8, IntEncoding::unsigned_int, TypeKind::integer},
        {"long long", 8, IntEncoding::signed_int, TypeKind::integer},
        {"unsigned long long", 8, IntEncoding::unsigned_int, TypeKind::integer},
        {"_Bool", 1, IntEncoding::boolean, TypeKind::integer},
        {"float", 4, IntEncoding::signed_int, TypeKind::floating},
        {"double", 8, IntEncoding::signed_int, TypeKind::floating},
        {"long double", 16, IntEncoding::signed_int, TypeKind::floating},
        {"void", 1, IntEncoding::signed_int, TypeKind::void_type},
    }};
    for (const auto& b : builtins) {
        if (b.name == name) {
            Type& type = storage_.emplace_back();
            type.kind = b.kind;
            type.name = std::string(b.name);
            type.size = b.size;
            type.encoding = b.encoding;
            builtins_.emplace(std::string(name), &type);
            return &type;
        }
    }
    return nullptr;
}

const Type* TypeArena::void_type() {
    return builtin("void");
}

} // namespace kdive::eval

namespace kdive::eval {

const Type* TypeArena::code_type() {
    if (code_ == nullptr) {
        Type& type = storage_.emplace_back();
        type.kind = TypeKind::function;
        type.size = 1;
        type.prototyped = false;
        type.target = LazyType(void_type());
        code_ = &type;
    }
    return code_;
}

} // namespace kdive::eval

namespace kdive::eval {

const Type* TypeArena::no_debug_info(std::string_view symbol) {
    Type& type = storage_.emplace_back();
    type.kind = TypeKind::unknown;
    type.name = std::string(symbol);
    type.size = 4; // GDB reads such a symbol as an int only when told to
    return &type;
}

} // namespace kdive::eval
