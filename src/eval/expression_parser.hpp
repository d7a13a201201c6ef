// Recursive-descent parser for C expressions and type names, resolving type names as it goes.
#pragma once

#include "eval/expression_ast.hpp"
#include "eval/expression_lexer.hpp"
#include "eval/scope.hpp"
#include "eval/type_arena.hpp"

#include <string_view>

namespace kdive::eval {

class ExpressionParser {
public:
    ExpressionParser(Scope& scope, TypeArena& arena) : scope_(scope), arena_(arena) {}

    Result<ExprPtr> parse_expression(std::string_view text);
    // The text as a whole type name ("struct task_struct *", "u64", "unsigned long"):
    // nullopt when it does not start like a type, an error when it does but is unknown.
    Result<std::optional<const Type*>> parse_type_name(std::string_view text);

private:
    const Token& peek(std::size_t ahead = 0) const;
    bool accept(std::string_view punctuator);
    Result<> expect(std::string_view punctuator);
    bool starts_type_name(std::size_t at) const;

    Result<ExprPtr> comma();
    Result<ExprPtr> assignment();
    Result<ExprPtr> conditional();
    Result<ExprPtr> binary(int level);
    Result<ExprPtr> unary();
    // The type between the current bracket and `close`, then a unary operand: casts and
    // GDB's {type} address.
    Result<ExprPtr> typed_operand(std::string_view close, ExprKind kind);
    Result<ExprPtr> postfix();
    Result<ExprPtr> primary();
    Result<const Type*> type_name();
    Result<std::string> member_path();

    Scope& scope_;
    TypeArena& arena_;
    std::vector<Token> tokens_;
    std::size_t pos_ = 0;
};

} // namespace kdive::eval
