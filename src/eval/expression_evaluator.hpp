// Evaluates parsed C expressions to typed values, reading memory only when needed.
#pragma once

#include "arch/architecture.hpp"
#include "eval/expression_ast.hpp"
#include "eval/function_hooks.hpp"
#include "eval/memory_reader.hpp"
#include "eval/scope.hpp"
#include "eval/type_arena.hpp"
#include "eval/value.hpp"
#include "eval/value_history.hpp"

namespace kdive::eval {

struct EvalContext {
    Scope& scope;
    TypeArena& arena;
    ValueHistory& history;
    MemoryReader* memory = nullptr;                                // null: nothing readable
    RegisterReader* registers = nullptr;                           // null: "No registers."
    FunctionHooks* functions = nullptr;                            // null: no $name(...) functions
    const arch::Architecture* arch = &arch::x86_64_architecture(); // what $pc, $sp and $fp name
};

// Where a member sits inside a struct, anonymous members included.
struct MemberLocation {
    const Type* type = nullptr;
    std::uint64_t bit_offset = 0;
    std::uint32_t bit_size = 0;
};

// Finds `name` in a struct or union, looking inside anonymous members as C does.
std::optional<MemberLocation> find_member(const Type* aggregate, std::string_view name);

class ExpressionEvaluator {
public:
    explicit ExpressionEvaluator(EvalContext context) : ctx_(context) {}

    Result<Value> evaluate(const Expr& expr);
    // For whatis/ptype/sizeof: types only, no memory reads beyond pointers, no writes.
    Result<Value> evaluate_type_only(const Expr& expr);

    // The operators on values already evaluated, for front ends that build values themselves
    // (the Python API): C's rules and GDB's errors, as inside an expression.
    Result<Value> member(const Value& base, const std::string& name, bool arrow);
    Result<Value> index(const Value& base, const Value& subscript);
    Result<Value> unary(const std::string& op, const Value& operand);
    Result<Value> binary(const std::string& op, const Value& left, const Value& right);
    Result<Value> cast(const Type* type, const Value& value);
    Result<Value> dereference(const Value& pointer);
    Result<Value> address_of(const Value& value);

private:
    Result<Value> eval(const Expr& expr);
    Result<Value> identifier(const Expr& expr);
    Result<Value> dollar(const Expr& expr);
    Result<Value> assign(const Expr& expr);
    Result<Value> per_cpu(const Expr& expr);
    Result<Value> function_call(const Expr& expr);
    Result<std::uint64_t> member_path_offset(const Type* type, const std::string& path);
    Result<> store(const Value& target, const Value& value);
    Result<bool> truth(const Value& value);
    const Type* complete(const Type* type);

    EvalContext ctx_;
    bool type_only_ = false;
};

} // namespace kdive::eval
