// Lazy type references and small helpers over the shared type model.
#include "debuginfo/type.hpp"

#include <array>
#include <utility>

namespace kdive::debuginfo {

const Type* LazyType::get() const {
    if (resolved_ == nullptr) {
        resolved_ = loader_ != nullptr ? loader_->load(key_) : unknown_type();
    }
    return resolved_;
}

const Type* strip_typedefs(const Type* type) {
    // Bounded: a corrupt cycle of typedefs must not hang the debugger.
    for (int depth = 0; depth < 64 && type != nullptr; ++depth) {
        switch (type->kind) {
        case TypeKind::typedef_type:
        case TypeKind::const_type:
        case TypeKind::volatile_type:
        case TypeKind::restrict_type:
            type = type->target.get();
            break;
        default:
            return type;
        }
    }
    return unknown_type();
}

const Type* strip_qualifiers(const Type* type) {
    for (int depth = 0; depth < 64 && type != nullptr; ++depth) {
        switch (type->kind) {
        case TypeKind::const_type:
        case TypeKind::volatile_type:
        case TypeKind::restrict_type:
            type = type->target.get();
            break;
        default:
            return type;
        }
    }
    return unknown_type();
}

std::string canonical_base_type_name(std::string_view name) {
    static constexpr std::array<std::pair<std::string_view, std::string_view>, 8> renames{{
        {"long unsigned int", "unsigned long"},
        {"long int", "long"},
        {"short int", "short"},
        {"short unsigned int", "unsigned short"},
        {"long long int", "long long"},
        {"long long unsigned int", "unsigned long long"},
        {"unsigned char", "unsigned char"},
        {"signed char", "signed char"},
    }};
    for (const auto& [from, to] : renames) {
        if (name == from) {
            return std::string(to);
        }
    }
    return std::string(name);
}

const Type* unknown_type() {
    static const Type unknown = [] {
        Type t;
        t.kind = TypeKind::unknown;
        t.name = "<unknown type>";
        return t;
    }();
    return &unknown;
}

} // namespace kdive::debuginfo
