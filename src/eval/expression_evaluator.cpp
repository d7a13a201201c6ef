// C semantics for the debugger: integer promotions, pointer arithmetic, lvalues in memory.
#include "eval/expression_evaluator.hpp"

#include "eval/type_printer.hpp"

#include <array>
#include <charconv>
#include <cstring>

namespace kdive::eval {

using debuginfo::IntEncoding;
using debuginfo::strip_typedefs;

namespace {

constexpr std::array<std::string_view, 33> x86_64_registers{
    "rax", "rbx", "rcx",     "rdx",     "rsi",       "rdi", "rbp",    "rsp", "r8",  "r9",  "r10",
    "r11", "r12", "r13",     "r14",     "r15",       "rip", "eflags", "cs",  "ss",  "ds",  "es",
    "fs",  "gs",  "fs_base", "gs_base", "k_gs_base", "cr0", "cr2",    "cr3", "cr4", "cr8", "efer"};
// arm64: x0-x30 and pc, sp by the DWARF names, plus these.
constexpr std::array<std::string_view, 12> aarch64_registers{
    "cpsr",      "fpsr",      "fpcr",    "SP_EL0",    "SP_EL1",  "TPIDR_EL1",
    "TTBR0_EL1", "TTBR1_EL1", "TCR_EL1", "SCTLR_EL1", "ELR_EL1", "ESR_EL1"};

std::string_view register_alias(const arch::Architecture& arch, std::string_view name) {
    if (name == "pc") {
        return arch.pc;
    }
    if (name == "sp") {
        return arch.sp;
    }
    if (name == "fp") {
        return arch.fp;
    }
    if (name == "lr" && !arch.link.empty()) {
        return arch.link;
    }
    return name;
}

bool is_register(const arch::Architecture& arch, std::string_view name) {
    name = register_alias(arch, name);
    if (arch.machine == arch::Machine::aarch64) {
        return arch.dwarf_number(name).has_value() ||
               std::find(aarch64_registers.begin(), aarch64_registers.end(), name) !=
                   aarch64_registers.end();
    }
    for (auto r : x86_64_registers) {
        if (r == name) {
            return true;
        }
    }
    return false;
}

bool is_pointer(const Type* type) {
    return strip_typedefs(type)->kind == TypeKind::pointer;
}

bool is_arithmetic(const Type* type) {
    const Type* t = strip_typedefs(type);
    return t->is_integer() || t->kind == TypeKind::floating;
}

// C integer promotion followed by the usual arithmetic conversions, for x86-64 sizes.
const Type* common_type(TypeArena& arena, const Type* a, const Type* b) {
    const Type* ta = strip_typedefs(a);
    const Type* tb = strip_typedefs(b);
    if (ta->kind == TypeKind::floating || tb->kind == TypeKind::floating) {
        return arena.builtin("double");
    }
    const auto rank = [](const Type* t) { return t->size < 4 ? 4 : t->size; };
    const auto is_unsigned = [](const Type* t) {
        return t->size >= 4 && t->kind == TypeKind::integer && !t->is_signed() &&
               t->encoding != IntEncoding::boolean;
    };
    const std::uint64_t size = std::max(rank(ta), rank(tb));
    const bool unsigned_result =
        (rank(ta) == size && is_unsigned(ta)) || (rank(tb) == size && is_unsigned(tb));
    if (size >= 8) {
        return unsigned_result ? arena.unsigned_long_type() : arena.long_type();
    }
    return unsigned_result ? arena.builtin("unsigned int") : arena.int_type();
}

const Type* promoted(TypeArena& arena, const Type* type) {
    return common_type(arena, type, type);
}

std::uint64_t truncate(std::uint64_t bits, const Type* type) {
    const Type* t = strip_typedefs(type);
    if (t->size >= 8 || t->size == 0) {
        return bits;
    }
    bits &= (1ull << (t->size * 8)) - 1;
    if (t->kind != TypeKind::pointer && t->is_signed() && (bits >> (t->size * 8 - 1)) != 0) {
        bits |= ~0ull << (t->size * 8);
    }
    return bits;
}

// A symbol without debug info may only have its address taken or be cast.
Result<> require_known_type(const Value& value) {
    const Type* type = strip_typedefs(value.type());
    if (type->kind == TypeKind::unknown && !type->name.empty() &&
        type != debuginfo::unknown_type()) {
        return fail("'{}' has unknown type; cast it to its declared type", type->name);
    }
    return {};
}

} // namespace

std::optional<MemberLocation> find_member(const Type* aggregate, std::string_view name) {
    const Type* type = strip_typedefs(aggregate);
    for (const auto& member : type->members) {
        if (member.name == name) {
            return MemberLocation{member.type.get(), member.bit_offset, member.bit_size};
        }
        if (member.name.empty()) {
            const Type* inner = strip_typedefs(member.type.get());
            if (inner->is_composite()) {
                if (auto found = find_member(inner, name)) {
                    found->bit_offset += member.bit_offset;
                    return found;
                }
            }
        }
    }
    return std::nullopt;
}

const Type* ExpressionEvaluator::complete(const Type* type) {
    const Type* t = strip_typedefs(type);
    if (t->declaration && t->is_composite() && !t->name.empty()) {
        const Type* full = ctx_.scope.find_type(
            t->name, t->kind == TypeKind::union_type ? TypeTag::union_tag : TypeTag::struct_tag);
        if (full != nullptr && !full->declaration) {
            return full;
        }
    }
    return type;
}

Result<Value> ExpressionEvaluator::evaluate(const Expr& expr) {
    type_only_ = false;
    return eval(expr);
}

Result<Value> ExpressionEvaluator::evaluate_type_only(const Expr& expr) {
    type_only_ = true;
    auto result = eval(expr);
    type_only_ = false;
    return result;
}

Result<bool> ExpressionEvaluator::truth(const Value& value) {
    if (strip_typedefs(value.type())->kind == TypeKind::floating) {
        auto d = value.as_double(ctx_.memory);
        if (!d) {
            return std::unexpected(d.error());
        }
        return *d != 0;
    }
    auto bits = value.as_bits(ctx_.memory);
    if (!bits) {
        return std::unexpected(bits.error());
    }
    return *bits != 0;
}

Result<Value> ExpressionEvaluator::eval(const Expr& expr) {
    switch (expr.kind) {
    case ExprKind::number:
        return Value::from_integer(expr.type, expr.value);
    case ExprKind::character:
        return Value::from_integer(ctx_.arena.char_type(), expr.value);
    case ExprKind::string: {
        std::vector<std::byte> bytes(expr.text.size() + 1);
        std::memcpy(bytes.data(), expr.text.data(), expr.text.size());
        const Type* type = ctx_.arena.array_of(ctx_.arena.char_type(), bytes.size());
        return Value::computed(type, std::move(bytes));
    }
    case ExprKind::identifier:
        return identifier(expr);
    case ExprKind::dollar:
        return dollar(expr);
    case ExprKind::member:
    case ExprKind::arrow: {
        auto base = eval(*expr.children[0]);
        if (!base) {
            return base;
        }
        return member(*base, expr.text, expr.kind == ExprKind::arrow);
    }
    case ExprKind::index: {
        auto base = eval(*expr.children[0]);
        if (!base) {
            return base;
        }
        auto subscript = eval(*expr.children[1]);
        if (!subscript) {
            return subscript;
        }
        return index(*base, *subscript);
    }
    case ExprKind::unary: {
        auto operand = eval(*expr.children[0]);
        if (!operand) {
            return operand;
        }
        return unary(expr.op, *operand);
    }
    case ExprKind::binary: {
        auto left = eval(*expr.children[0]);
        if (!left) {
            return left;
        }
        auto right = eval(*expr.children[1]);
        if (!right) {
            return right;
        }
        return binary(expr.op, *left, *right);
    }
    case ExprKind::logical: {
        auto left = eval(*expr.children[0]);
        if (!left) {
            return left;
        }
        if (type_only_) {
            return Value::from_integer(ctx_.arena.int_type(), 0);
        }
        auto l = truth(*left);
        if (!l) {
            return std::unexpected(l.error());
        }
        if ((expr.op == "&&" && !*l) || (expr.op == "||" && *l)) {
            return Value::from_integer(ctx_.arena.int_type(), *l ? 1 : 0);
        }
        auto right = eval(*expr.children[1]);
        if (!right) {
            return right;
        }
        auto r = truth(*right);
        if (!r) {
            return std::unexpected(r.error());
        }
        return Value::from_integer(ctx_.arena.int_type(), *r ? 1 : 0);
    }
    case ExprKind::ternary: {
        auto condition = eval(*expr.children[0]);
        if (!condition) {
            return condition;
        }
        if (type_only_) {
            return eval(*expr.children[1]);
        }
        auto c = truth(*condition);
        if (!c) {
            return std::unexpected(c.error());
        }
        return eval(*expr.children[*c ? 1 : 2]);
    }
    case ExprKind::assign:
        return assign(expr);
    case ExprKind::cast: {
        auto operand = eval(*expr.children[0]);
        if (!operand) {
            return operand;
        }
        return cast(expr.type, *operand);
    }
    case ExprKind::at_address: {
        auto operand = eval(*expr.children[0]);
        if (!operand) {
            return operand;
        }
        auto address = type_only_ ? Result<std::uint64_t>(0) : operand->as_bits(ctx_.memory);
        if (!address) {
            return std::unexpected(address.error());
        }
        return Value::at(expr.type, *address);
    }
    case ExprKind::sizeof_type: {
        const Type* type = strip_typedefs(complete(expr.type));
        return Value::from_integer(ctx_.arena.unsigned_long_type(), type->size);
    }
    case ExprKind::sizeof_expr: {
        const bool saved = type_only_;
        type_only_ = true;
        auto operand = eval(*expr.children[0]);
        type_only_ = saved;
        if (!operand) {
            return operand;
        }
        return Value::from_integer(ctx_.arena.unsigned_long_type(),
                                   strip_typedefs(complete(operand->type()))->size);
    }
    case ExprKind::offsetof: {
        auto offset = member_path_offset(expr.type, expr.text);
        if (!offset) {
            return std::unexpected(offset.error());
        }
        return Value::from_integer(ctx_.arena.unsigned_long_type(), *offset);
    }
    case ExprKind::container_of: {
        auto pointer = eval(*expr.children[0]);
        if (!pointer) {
            return pointer;
        }
        auto offset = member_path_offset(expr.type, expr.text);
        if (!offset) {
            return std::unexpected(offset.error());
        }
        auto bits = type_only_ ? Result<std::uint64_t>(0) : pointer->as_bits(ctx_.memory);
        if (!bits) {
            return std::unexpected(bits.error());
        }
        return Value::from_integer(ctx_.arena.pointer_to(expr.type), *bits - *offset);
    }
    case ExprKind::comma: {
        auto left = eval(*expr.children[0]);
        if (!left) {
            return left;
        }
        return eval(*expr.children[1]);
    }
    case ExprKind::call:
        if (expr.text.starts_with('$')) {
            return function_call(expr);
        }
        return per_cpu(expr);
    }
    return fail("unsupported expression");
}

Result<Value> ExpressionEvaluator::identifier(const Expr& expr) {
    if (auto local = ctx_.scope.find_local(expr.text)) {
        return *local;
    }
    auto variable = ctx_.scope.find_variable(expr.text);
    if (!variable) {
        if (auto constant = ctx_.scope.find_enumerator(expr.text)) {
            return Value::from_integer(constant->type, static_cast<std::uint64_t>(constant->value));
        }
        return std::unexpected(variable.error());
    }
    if (variable->type == nullptr) {
        return Value::at(ctx_.arena.no_debug_info(expr.text), variable->address);
    }
    return Value::at(variable->type, variable->address);
}

Result<Value> ExpressionEvaluator::dollar(const Expr& expr) {
    const std::string& name = expr.text;
    if (name.empty()) {
        return ctx_.history.relative(0);
    }
    if (name[0] == '$') {
        if (name.size() == 1) {
            return ctx_.history.relative(1);
        }
        std::size_t back = 0;
        auto [ptr, ec] = std::from_chars(name.data() + 1, name.data() + name.size(), back);
        if (ec == std::errc() && ptr == name.data() + name.size()) {
            return ctx_.history.relative(back);
        }
    }
    if (std::isdigit(static_cast<unsigned char>(name[0]))) {
        std::size_t number = 0;
        auto [ptr, ec] = std::from_chars(name.data(), name.data() + name.size(), number);
        if (ec == std::errc() && ptr == name.data() + name.size()) {
            return ctx_.history.absolute(number);
        }
    }
    if (is_register(*ctx_.arch, name)) {
        const std::string_view reg = register_alias(*ctx_.arch, name);
        const Type* type = ctx_.arena.long_type();
        if (reg == ctx_.arch->pc) {
            type = ctx_.arena.pointer_to(ctx_.arena.code_type());
        } else if (reg == ctx_.arch->sp || reg == ctx_.arch->fp) {
            type = ctx_.arena.pointer_to(ctx_.arena.void_type());
        }
        if (ctx_.registers == nullptr) {
            return fail("No registers.");
        }
        if (type_only_) {
            return Value::in_register(type, std::string(reg), 0);
        }
        auto bits = ctx_.registers->read_register(reg);
        if (!bits) {
            return std::unexpected(bits.error());
        }
        return Value::in_register(type, std::string(reg), *bits);
    }
    if (auto value = ctx_.history.convenience(name)) {
        return *value;
    }
    return Value::void_value(ctx_.arena.void_type());
}

Result<Value> ExpressionEvaluator::member(const Value& base, const std::string& name, bool arrow) {
    if (auto known = require_known_type(base); !known) {
        return std::unexpected(known.error());
    }
    Value object = base;
    // GDB accepts '.' on pointers and '->' on structs alike.
    if (is_pointer(object.type())) {
        auto pointee = dereference(object);
        if (!pointee) {
            return pointee;
        }
        object = *pointee;
    } else if (arrow && !strip_typedefs(object.type())->is_composite()) {
        return fail("The -> operator must be applied to a pointer or struct, not {}",
                    type_name(object.type()));
    }
    const Type* aggregate = strip_typedefs(complete(object.type()));
    if (!aggregate->is_composite()) {
        return fail("Attempt to extract a component of a value that is not a structure{}.",
                    arrow ? " pointer" : "");
    }
    auto location = find_member(aggregate, name);
    if (!location) {
        return fail("There is no member named {} in {}.", name, type_name(aggregate));
    }
    if (location->bit_size > 0) {
        return object.retyped(aggregate).bitfield(location->type, location->bit_offset,
                                                  location->bit_size);
    }
    return object.retyped(aggregate).sub_value(location->type, location->bit_offset / 8);
}

Result<Value> ExpressionEvaluator::index(const Value& base, const Value& subscript) {
    if (auto known = require_known_type(base); !known) {
        return std::unexpected(known.error());
    }
    const Type* type = strip_typedefs(base.type());
    if (!strip_typedefs(subscript.type())->is_integer()) {
        return fail("Argument to arithmetic operation not a number or boolean.");
    }
    auto i = type_only_ ? Result<std::int64_t>(0) : subscript.as_signed(ctx_.memory);
    if (!i) {
        return std::unexpected(i.error());
    }
    if (type->kind == TypeKind::array) {
        const Type* element = type->target.get();
        const std::uint64_t step = strip_typedefs(element)->size;
        const std::uint64_t offset = static_cast<std::uint64_t>(*i) * step;
        if (base.address()) {
            return Value::at(element, *base.address() + offset);
        }
        if (type->count && (*i < 0 || static_cast<std::uint64_t>(*i) >= *type->count)) {
            return fail("no such vector element");
        }
        return base.sub_value(element, offset);
    }
    if (type->kind == TypeKind::pointer) {
        auto sum = binary("+", base, subscript);
        if (!sum) {
            return sum;
        }
        return dereference(*sum);
    }
    return fail("cannot subscript something of type `{}'", type_name(base.type()));
}

Result<Value> ExpressionEvaluator::dereference(const Value& pointer) {
    const Type* type = strip_typedefs(pointer.type());
    if (type->kind == TypeKind::array) {
        if (!pointer.address()) {
            return pointer.sub_value(type->target.get(), 0);
        }
        return Value::at(type->target.get(), *pointer.address());
    }
    if (type->kind == TypeKind::function) {
        return pointer;
    }
    if (type->kind != TypeKind::pointer) {
        return fail("Attempt to take contents of a non-pointer value.");
    }
    const Type* target = type->target.get();
    if (strip_typedefs(target)->kind == TypeKind::void_type) {
        return fail("Attempt to take contents of a non-pointer value.");
    }
    if (type_only_) {
        return Value::at(target, 0);
    }
    auto address = pointer.as_bits(ctx_.memory);
    if (!address) {
        return std::unexpected(address.error());
    }
    return Value::at(target, *address);
}

Result<Value> ExpressionEvaluator::address_of(const Value& value) {
    if (value.bit_size() > 0) {
        return fail("Attempt to take address of value not located in memory.");
    }
    if (!value.address()) {
        return fail("Attempt to take address of value not located in memory.");
    }
    return Value::from_integer(ctx_.arena.pointer_to(value.type()), *value.address());
}

Result<Value> ExpressionEvaluator::unary(const std::string& op, const Value& operand) {
    if (op == "*") {
        return dereference(operand);
    }
    if (op == "&") {
        return address_of(operand);
    }
    if (auto known = require_known_type(operand); !known) {
        return std::unexpected(known.error());
    }
    const Type* type = strip_typedefs(operand.type());
    if (op == "!") {
        if (type_only_) {
            return Value::from_integer(ctx_.arena.int_type(), 0);
        }
        auto t = truth(operand);
        if (!t) {
            return std::unexpected(t.error());
        }
        return Value::from_integer(ctx_.arena.int_type(), *t ? 0 : 1);
    }
    if (!is_arithmetic(type)) {
        return fail("Argument to {} operation not a number.",
                    op == "~" ? "complement" : "arithmetic");
    }
    const Type* result = promoted(ctx_.arena, operand.type());
    if (strip_typedefs(result)->kind == TypeKind::floating) {
        auto d = operand.as_double(ctx_.memory);
        if (!d) {
            return std::unexpected(d.error());
        }
        double r = op == "-" ? -*d : *d;
        std::vector<std::byte> bytes(8);
        std::memcpy(bytes.data(), &r, 8);
        return Value::computed(result, std::move(bytes));
    }
    if (type_only_) {
        return Value::from_integer(result, 0);
    }
    auto bits = operand.as_bits(ctx_.memory);
    if (!bits) {
        return std::unexpected(bits.error());
    }
    std::uint64_t r = *bits;
    if (op == "-") {
        r = 0 - r;
    } else if (op == "~") {
        r = ~r;
    }
    return Value::from_integer(result, truncate(r, result));
}

Result<Value> ExpressionEvaluator::binary(const std::string& op, const Value& left,
                                          const Value& right) {
    for (const Value* operand : {&left, &right}) {
        if (auto known = require_known_type(*operand); !known) {
            return std::unexpected(known.error());
        }
    }
    const Type* lt = strip_typedefs(left.type());
    const Type* rt = strip_typedefs(right.type());
    if (op == "@") {
        if (!left.address()) {
            return fail("Only values in memory can be extended with '@'.");
        }
        auto count = right.as_signed(ctx_.memory);
        if (!count) {
            return std::unexpected(count.error());
        }
        if (*count <= 0) {
            return fail("Non-positive repeat count.");
        }
        return Value::at(ctx_.arena.array_of(left.type(), static_cast<std::uint64_t>(*count)),
                         *left.address());
    }
    const auto bits_of = [&](const Value& v) -> Result<std::uint64_t> {
        if (type_only_) {
            return 1;
        }
        const Type* t = strip_typedefs(v.type());
        if (t->kind == TypeKind::array) {
            if (!v.address()) {
                return fail("Attempt to take address of value not located in memory.");
            }
            return *v.address();
        }
        if (t->kind == TypeKind::function) {
            return v.address().value_or(0);
        }
        return v.as_bits(ctx_.memory);
    };
    const bool left_pointer = lt->kind == TypeKind::pointer || lt->kind == TypeKind::array;
    const bool right_pointer = rt->kind == TypeKind::pointer || rt->kind == TypeKind::array;
    auto l = bits_of(left);
    if (!l) {
        return std::unexpected(l.error());
    }
    auto r = bits_of(right);
    if (!r) {
        return std::unexpected(r.error());
    }
    const bool comparison =
        op == "==" || op == "!=" || op == "<" || op == ">" || op == "<=" || op == ">=";
    // Pointer arithmetic scales by the pointee size; pointer difference divides by it.
    if ((left_pointer || right_pointer) && (op == "+" || op == "-") && !comparison) {
        if (left_pointer && right_pointer) {
            if (op != "-") {
                return fail("Argument to arithmetic operation not a number or boolean.");
            }
            const std::uint64_t step =
                std::max<std::uint64_t>(1, strip_typedefs(lt->target.get())->size);
            return Value::from_integer(
                ctx_.arena.long_type(),
                static_cast<std::uint64_t>(static_cast<std::int64_t>(*l - *r) /
                                           static_cast<std::int64_t>(step)));
        }
        const Value& pointer = left_pointer ? left : right;
        const Type* pt = strip_typedefs(pointer.type());
        const std::uint64_t offset = left_pointer ? *r : *l;
        if (!left_pointer && op == "-") {
            return fail("Argument to arithmetic operation not a number or boolean.");
        }
        const Type* target = pt->target.get();
        const Type* result_type =
            pt->kind == TypeKind::array ? ctx_.arena.pointer_to(target) : pointer.type();
        // GDB treats void * arithmetic as byte arithmetic.
        const std::uint64_t step = std::max<std::uint64_t>(1, strip_typedefs(target)->size);
        const std::uint64_t base = left_pointer ? *l : *r;
        return Value::from_integer(result_type,
                                   op == "+" ? base + offset * step : base - offset * step);
    }
    if (!comparison && (!is_arithmetic(lt) || !is_arithmetic(rt))) {
        return fail("Argument to arithmetic operation not a number or boolean.");
    }
    const Type* type = (left_pointer || right_pointer)
                           ? ctx_.arena.unsigned_long_type()
                           : common_type(ctx_.arena, left.type(), right.type());
    if (strip_typedefs(type)->kind == TypeKind::floating) {
        auto a = left.as_double(ctx_.memory);
        auto b = right.as_double(ctx_.memory);
        if (!a || !b) {
            return std::unexpected(!a ? a.error() : b.error());
        }
        if (comparison) {
            const bool c = op == "=="   ? *a == *b
                           : op == "!=" ? *a != *b
                           : op == "<"  ? *a < *b
                           : op == ">"  ? *a > *b
                           : op == "<=" ? *a <= *b
                                        : *a >= *b;
            return Value::from_integer(ctx_.arena.int_type(), c ? 1 : 0);
        }
        double result = 0;
        if (op == "+") {
            result = *a + *b;
        } else if (op == "-") {
            result = *a - *b;
        } else if (op == "*") {
            result = *a * *b;
        } else if (op == "/") {
            result = *a / *b;
        } else {
            return fail("Integer only operation {}.", op);
        }
        std::vector<std::byte> bytes(8);
        std::memcpy(bytes.data(), &result, 8);
        return Value::computed(type, std::move(bytes));
    }
    const bool is_signed = strip_typedefs(type)->is_signed();
    const std::uint64_t a = truncate(*l, type);
    const std::uint64_t b = truncate(*r, type);
    const auto sa = static_cast<std::int64_t>(a);
    const auto sb = static_cast<std::int64_t>(b);
    std::uint64_t result = 0;
    if (comparison) {
        bool c = false;
        if (op == "==") {
            c = a == b;
        } else if (op == "!=") {
            c = a != b;
        } else if (op == "<") {
            c = is_signed ? sa < sb : a < b;
        } else if (op == ">") {
            c = is_signed ? sa > sb : a > b;
        } else if (op == "<=") {
            c = is_signed ? sa <= sb : a <= b;
        } else {
            c = is_signed ? sa >= sb : a >= b;
        }
        return Value::from_integer(ctx_.arena.int_type(), c ? 1 : 0);
    }
    if (op == "+") {
        result = a + b;
    } else if (op == "-") {
        result = a - b;
    } else if (op == "*") {
        result = a * b;
    } else if (op == "/" || op == "%") {
        if (b == 0 && !type_only_) {
            return fail("Division by zero");
        }
        if (type_only_) {
            result = 0;
        } else if (is_signed) {
            result = static_cast<std::uint64_t>(op == "/" ? sa / sb : sa % sb);
        } else {
            result = op == "/" ? a / b : a % b;
        }
    } else if (op == "&") {
        result = a & b;
    } else if (op == "|") {
        result = a | b;
    } else if (op == "^") {
        result = a ^ b;
    } else if (op == "<<" || op == ">>") {
        // Shifts take the promoted left operand's type.
        const Type* shifted = promoted(ctx_.arena, left.type());
        const std::uint64_t value = truncate(*l, shifted);
        const unsigned count = static_cast<unsigned>(*r & 63);
        if (op == "<<") {
            result = value << count;
        } else {
            result = strip_typedefs(shifted)->is_signed()
                         ? static_cast<std::uint64_t>(static_cast<std::int64_t>(value) >> count)
                         : value >> count;
        }
        return Value::from_integer(shifted, truncate(result, shifted));
    } else {
        return fail("unknown operator {}", op);
    }
    return Value::from_integer(type, truncate(result, type));
}

Result<Value> ExpressionEvaluator::cast(const Type* type, const Value& value) {
    const Type* to = strip_typedefs(type);
    const Type* from = strip_typedefs(value.type());
    if (from->kind == TypeKind::unknown && value.address()) {
        // "Cast it to its declared type": read the symbol's memory as that type.
        return Value::at(type, *value.address());
    }
    if (to->is_composite() || to->kind == TypeKind::array) {
        // Reinterpreting an object in memory as another aggregate, as GDB allows.
        if (value.address()) {
            return Value::at(type, *value.address());
        }
        return fail("Invalid cast.");
    }
    if (to->kind == TypeKind::void_type) {
        return Value::void_value(type);
    }
    if (to->kind == TypeKind::floating) {
        auto d = value.as_double(ctx_.memory);
        if (!d) {
            return std::unexpected(d.error());
        }
        std::vector<std::byte> bytes(to->size == 4 ? 4 : 8);
        if (to->size == 4) {
            const float f = static_cast<float>(*d);
            std::memcpy(bytes.data(), &f, 4);
        } else {
            std::memcpy(bytes.data(), &*d, 8);
        }
        return Value::computed(type, std::move(bytes));
    }
    if (!to->is_scalar()) {
        return fail("Invalid cast.");
    }
    std::uint64_t bits = 0;
    if (type_only_) {
        bits = 0;
    } else if (from->kind == TypeKind::array || from->kind == TypeKind::function) {
        if (!value.address()) {
            return fail("Attempt to take address of value not located in memory.");
        }
        bits = *value.address();
    } else if (from->kind == TypeKind::floating) {
        auto d = value.as_double(ctx_.memory);
        if (!d) {
            return std::unexpected(d.error());
        }
        bits = static_cast<std::uint64_t>(static_cast<std::int64_t>(*d));
    } else if (from->is_scalar()) {
        auto b = value.as_bits(ctx_.memory);
        if (!b) {
            return std::unexpected(b.error());
        }
        bits = *b;
    } else {
        return fail("Invalid cast.");
    }
    if (to->encoding == IntEncoding::boolean && to->kind == TypeKind::integer) {
        bits = bits != 0 ? 1 : 0;
    }
    return Value::from_integer(type, truncate(bits, type));
}

Result<std::uint64_t> ExpressionEvaluator::member_path_offset(const Type* type,
                                                              const std::string& path) {
    const Type* current = strip_typedefs(complete(type));
    std::uint64_t bits = 0;
    std::size_t start = 0;
    while (start <= path.size()) {
        const std::size_t dot = path.find('.', start);
        const std::string name = path.substr(start, dot == std::string::npos ? dot : dot - start);
        if (!current->is_composite()) {
            return fail("{} is not a structure or union", type_name(current));
        }
        auto location = find_member(current, name);
        if (!location) {
            return fail("There is no member named {} in {}.", name, type_name(current));
        }
        bits += location->bit_offset;
        current = strip_typedefs(complete(location->type));
        if (dot == std::string::npos) {
            break;
        }
        start = dot + 1;
    }
    return bits / 8;
}

Result<> ExpressionEvaluator::store(const Value& target, const Value& value) {
    const Type* type = strip_typedefs(target.type());
    std::vector<std::byte> bytes;
    if (type->is_scalar()) {
        auto converted = cast(target.type(), value);
        if (!converted) {
            return std::unexpected(converted.error());
        }
        auto b = converted->bytes(ctx_.memory);
        if (!b) {
            return std::unexpected(b.error());
        }
        bytes = **b;
    } else {
        if (strip_typedefs(value.type())->size != type->size) {
            return fail("Invalid cast.");
        }
        auto b = value.bytes(ctx_.memory);
        if (!b) {
            return std::unexpected(b.error());
        }
        bytes = **b;
    }
    if (!target.register_name().empty()) {
        if (ctx_.registers == nullptr) {
            return fail("No registers.");
        }
        std::uint64_t bits = 0;
        std::memcpy(&bits, bytes.data(), std::min<std::size_t>(8, bytes.size()));
        return ctx_.registers->write_register(target.register_name(), bits);
    }
    if (!target.address()) {
        return fail("Left operand of assignment is not an lvalue.");
    }
    if (ctx_.memory == nullptr) {
        return fail("Cannot access memory at address {:#x}", *target.address());
    }
    if (target.bit_size() > 0) {
        // Read-modify-write the bytes holding the bitfield.
        const std::size_t span = (target.bit_offset() + target.bit_size() + 7) / 8;
        auto old = ctx_.memory->read(*target.address(), span);
        if (!old) {
            return std::unexpected(old.error());
        }
        std::uint64_t field = 0;
        std::memcpy(&field, bytes.data(), std::min<std::size_t>(8, bytes.size()));
        // Bit by bit: the field may straddle nine bytes, and this path is rare.
        for (std::uint32_t bit = 0; bit < target.bit_size(); ++bit) {
            const std::uint32_t at = target.bit_offset() + bit;
            const auto mask = static_cast<std::byte>(1u << (at % 8));
            std::byte& cell = (*old)[at / 8];
            cell = ((field >> bit) & 1) != 0 ? (cell | mask) : (cell & ~mask);
        }
        return ctx_.memory->write(*target.address(), *old);
    }
    return ctx_.memory->write(*target.address(), bytes);
}

Result<Value> ExpressionEvaluator::assign(const Expr& expr) {
    const Expr& left_expr = *expr.children[0];
    auto right = eval(*expr.children[1]);
    if (!right) {
        return right;
    }
    Value value = *right;
    if (left_expr.kind == ExprKind::dollar && !left_expr.text.empty() &&
        !std::isdigit(static_cast<unsigned char>(left_expr.text[0])) && left_expr.text[0] != '$' &&
        !is_register(*ctx_.arch, left_expr.text)) {
        if (expr.op != "=") {
            auto current = dollar(left_expr);
            if (!current) {
                return current;
            }
            auto combined = binary(expr.op.substr(0, expr.op.size() - 1), *current, value);
            if (!combined) {
                return combined;
            }
            value = *combined;
        }
        if (!type_only_) {
            // Convenience variables keep a snapshot of the value, not a reference to memory.
            auto bytes = value.bytes(ctx_.memory);
            if (!bytes) {
                return std::unexpected(bytes.error());
            }
            value = Value::computed(value.type(), **bytes);
            ctx_.history.set_convenience(left_expr.text, value);
        }
        return value;
    }
    auto target = eval(left_expr);
    if (!target) {
        return target;
    }
    if (!target->is_lvalue()) {
        return fail("Left operand of assignment is not an lvalue.");
    }
    if (expr.op != "=") {
        auto combined = binary(expr.op.substr(0, expr.op.size() - 1), *target, value);
        if (!combined) {
            return combined;
        }
        value = *combined;
    }
    if (type_only_) {
        return *target;
    }
    if (auto stored = store(*target, value); !stored) {
        return std::unexpected(stored.error());
    }
    // Re-read so the result shows what memory now holds.
    if (target->address()) {
        Value fresh =
            target->bit_size() > 0 ? *target : Value::at(target->type(), *target->address());
        if (target->bit_size() > 0) {
            return cast(target->type(), value);
        }
        return fresh;
    }
    return cast(target->type(), value);
}

Result<Value> ExpressionEvaluator::function_call(const Expr& expr) {
    const std::string_view name = std::string_view(expr.text).substr(1);
    std::vector<Value> arguments;
    for (const auto& child : expr.children) {
        auto argument = eval(*child);
        if (!argument) {
            return argument;
        }
        arguments.push_back(std::move(*argument));
    }
    if (ctx_.functions != nullptr) {
        if (auto result = ctx_.functions->call(name, arguments, ctx_)) {
            return std::move(*result);
        }
    }
    return fail("No function \"${}\" in this context.", name);
}

Result<Value> ExpressionEvaluator::per_cpu(const Expr& expr) {
    if (expr.children.size() != 2) {
        return fail("per_cpu(variable, cpu) takes two arguments");
    }
    auto variable = eval(*expr.children[0]);
    if (!variable) {
        return variable;
    }
    if (!variable->address()) {
        return fail("per_cpu: the first argument must be a per-CPU variable");
    }
    auto cpu = eval(*expr.children[1]);
    if (!cpu) {
        return cpu;
    }
    auto offsets = ctx_.scope.find_variable("__per_cpu_offset");
    if (!offsets || offsets->type == nullptr) {
        return fail("per_cpu: this kernel has no __per_cpu_offset array");
    }
    auto entry = index(Value::at(offsets->type, offsets->address), *cpu);
    if (!entry) {
        return entry;
    }
    auto offset = type_only_ ? Result<std::uint64_t>(0) : entry->as_bits(ctx_.memory);
    if (!offset) {
        return std::unexpected(offset.error());
    }
    return Value::at(variable->type(), *variable->address() + *offset);
}

} // namespace kdive::eval
