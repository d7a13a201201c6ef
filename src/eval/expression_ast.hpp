// The parsed form of a C expression.
#pragma once

#include "debuginfo/type.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace kdive::eval {

enum class ExprKind {
    number,     // value + type
    character,  // value, char type
    string,     // text
    identifier, // text
    dollar,     // text after '$': history, convenience variable or register
    member,     // children[0].text
    arrow,      // children[0]->text
    index,      // children[0][children[1]]
    unary,      // op children[0]: - + ! ~ * &
    binary,     // children[0] op children[1]
    logical,    // && ||
    assign,     // op is "=" or a compound "+=" ...
    ternary,    // children[0] ? children[1] : children[2]
    cast,       // (type) children[0]
    at_address, // {type} children[0]: GDB's "object of this type at that address"
    sizeof_type,
    sizeof_expr,
    offsetof,     // type, text = member path
    container_of, // children[0] pointer, type, text = member path
    comma,
    call, // name(args...): the per_cpu() helper, or "$name" for a convenience function
};

struct Expr {
    ExprKind kind = ExprKind::number;
    std::string op;
    std::string text;
    std::uint64_t value = 0;
    const debuginfo::Type* type = nullptr;
    std::vector<std::unique_ptr<Expr>> children;
    std::size_t position = 0;
};

using ExprPtr = std::unique_ptr<Expr>;

} // namespace kdive::eval
