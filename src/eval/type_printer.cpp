// C declarator printing: the base type on the left, pointers/arrays/functions wrapped
// around the name on the right.
#include "eval/type_printer.hpp"

#include <fmt/format.h>

namespace kdive::eval {

using debuginfo::TypeKind;

namespace {

std::string base_declaration(const Type* type, int show, int indent);

std::string qualifier_word(TypeKind kind) {
    switch (kind) {
    case TypeKind::const_type:
        return "const";
    case TypeKind::volatile_type:
        return "volatile";
    case TypeKind::restrict_type:
        return "restrict";
    default:
        return "";
    }
}

bool is_qualifier(const Type* type) {
    return type->kind == TypeKind::const_type || type->kind == TypeKind::volatile_type ||
           type->kind == TypeKind::restrict_type;
}

// A qualifier chain applies to what lies beneath it; find the first non-qualifier.
const Type* below_qualifiers(const Type* type, std::string& words) {
    for (int depth = 0; depth < 16 && is_qualifier(type); ++depth) {
        words += qualifier_word(type->kind) + " ";
        type = type->target.get();
    }
    return type;
}

std::string parameter_list(const Type* function) {
    std::string out = "(";
    bool first = true;
    for (const auto& parameter : function->parameters) {
        if (!first) {
            out += ", ";
        }
        first = false;
        out += format_declaration(parameter.type.get(), "", 0);
    }
    if (function->variadic) {
        out += first ? "..." : ", ...";
    } else if (first && function->prototyped) {
        out += "void";
    }
    return out + ")";
}

std::string aggregate_body(const Type* type, int show, int indent) {
    const std::string keyword = type->kind == TypeKind::union_type ? "union" : "struct";
    std::string out = keyword;
    if (!type->name.empty()) {
        out += " " + type->name;
    }
    if (show <= 0 && !type->name.empty()) {
        return out;
    }
    if (show < 0) {
        return out + " {...}";
    }
    out += " {\n";
    const std::string pad(static_cast<std::size_t>(indent + 4), ' ');
    if (type->members.empty()) {
        out += pad + (type->declaration ? "<incomplete type>\n" : "<no data fields>\n");
    }
    for (const auto& member : type->members) {
        out += pad + format_declaration(member.type.get(), member.name, show - 1, indent + 4);
        if (member.bit_size > 0) {
            out += fmt::format(" : {}", member.bit_size);
        }
        out += ";\n";
    }
    return out + std::string(static_cast<std::size_t>(indent), ' ') + "}";
}

std::string enum_body(const Type* type, int show) {
    std::string out = "enum";
    if (!type->name.empty()) {
        out += " " + type->name;
    }
    if (show <= 0 && !type->name.empty()) {
        return out;
    }
    if (show < 0) {
        return out + " {...}";
    }
    out += " {";
    std::int64_t expected = 0;
    bool first = true;
    for (const auto& e : type->enumerators) {
        out += first ? "" : ", ";
        first = false;
        out += e.name;
        if (e.value != expected) {
            out += type->is_signed() ? fmt::format(" = {}", e.value)
                                     : fmt::format(" = {}", static_cast<std::uint64_t>(e.value));
        }
        expected = e.value + 1;
    }
    return out + "}";
}

std::string base_declaration(const Type* type, int show, int indent) {
    std::string qualifiers;
    type = below_qualifiers(type, qualifiers);
    // With show > 0 GDB looks through typedefs at the base to show the real layout.
    if (show > 0) {
        for (int depth = 0; depth < 64 && type->kind == TypeKind::typedef_type; ++depth) {
            type = below_qualifiers(type->target.get(), qualifiers);
        }
    }
    switch (type->kind) {
    case TypeKind::structure:
    case TypeKind::union_type:
        return qualifiers + aggregate_body(type, show, indent);
    case TypeKind::enumeration:
        return qualifiers + enum_body(type, show);
    case TypeKind::void_type:
        return qualifiers + "void";
    default:
        return qualifiers + type->name;
    }
}

} // namespace

std::string format_declaration(const Type* type, std::string_view name, int show, int indent) {
    // Walk the declarator chain from the outside in, wrapping the name as C does.
    std::string inner(name);
    // Qualifiers of arrays and functions belong to the base type: `const char [16]`.
    std::string pending;
    for (int depth = 0; depth < 64; ++depth) {
        switch (type->kind) {
        case TypeKind::pointer: {
            const Type* target = type->target.get();
            std::string quals;
            const Type* beneath = below_qualifiers(target, quals);
            (void)quals;
            inner = "*" + inner;
            if (beneath->kind == TypeKind::array || beneath->kind == TypeKind::function) {
                inner = "(" + inner + ")";
            }
            type = target;
            continue;
        }
        case TypeKind::array: {
            inner += type->count ? fmt::format("[{}]", *type->count) : "[]";
            type = type->target.get();
            continue;
        }
        case TypeKind::function:
            inner += parameter_list(type);
            type = type->target.get();
            continue;
        case TypeKind::const_type:
        case TypeKind::volatile_type:
        case TypeKind::restrict_type: {
            // A qualified pointer: the qualifier sits between the star and the name.
            std::string words;
            const Type* beneath = below_qualifiers(type, words);
            if (beneath->kind == TypeKind::pointer) {
                words.pop_back();
                inner = " " + words + (inner.empty() ? "" : " " + inner);
                type = beneath;
                continue;
            }
            if (beneath->kind == TypeKind::array || beneath->kind == TypeKind::function) {
                pending += words;
                type = beneath;
                continue;
            }
            break;
        }
        default:
            break;
        }
        break;
    }
    std::string base = base_declaration(type, show, indent);
    // GCC qualifies both the array and its elements: say `const` once.
    if (!pending.empty() && base.compare(0, pending.size(), pending) != 0) {
        base = pending + base;
    }
    if (inner.empty()) {
        return base;
    }
    return base + " " + inner;
}

} // namespace kdive::eval
