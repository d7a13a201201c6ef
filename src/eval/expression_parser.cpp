// Parses GDB-style C expressions; type names are resolved through the Scope while parsing.
#include "eval/expression_parser.hpp"

#include <array>
#include <limits>

namespace kdive::eval {

using debuginfo::TypeKind;

namespace {

constexpr std::array<std::string_view, 14> type_keywords{
    "struct", "union", "enum",  "unsigned", "signed", "short", "long",
    "int",    "char",  "_Bool", "float",    "double", "void",  "const"};

bool is_type_keyword(std::string_view word) {
    for (auto k : type_keywords) {
        if (k == word) {
            return true;
        }
    }
    return word == "volatile";
}

ExprPtr node(ExprKind kind, std::size_t position) {
    auto expr = std::make_unique<Expr>();
    expr->kind = kind;
    expr->position = position;
    return expr;
}

// C's rules for the type of an integer literal.
const Type* literal_type(const Token& token, TypeArena& arena) {
    const std::uint64_t v = token.number;
    const bool fits_int = v <= static_cast<std::uint64_t>(std::numeric_limits<std::int32_t>::max());
    const bool fits_uint = v <= std::numeric_limits<std::uint32_t>::max();
    const bool fits_long =
        v <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    if (token.is_unsigned) {
        return token.longs == 0 && fits_uint ? arena.builtin("unsigned int")
                                             : arena.builtin("unsigned long");
    }
    if (token.longs == 0 && fits_int) {
        return arena.int_type();
    }
    if (token.longs == 0 && !token.decimal && fits_uint) {
        return arena.builtin("unsigned int");
    }
    return fits_long ? arena.long_type() : arena.unsigned_long_type();
}

} // namespace

const Token& ExpressionParser::peek(std::size_t ahead) const {
    const std::size_t at = std::min(pos_ + ahead, tokens_.size() - 1);
    return tokens_[at];
}

bool ExpressionParser::accept(std::string_view punctuator) {
    if (peek().kind == TokenKind::punctuator && peek().text == punctuator) {
        ++pos_;
        return true;
    }
    return false;
}

Result<> ExpressionParser::expect(std::string_view punctuator) {
    if (!accept(punctuator)) {
        if (peek().kind == TokenKind::end) {
            return fail("A syntax error in expression, near `'.");
        }
        return fail("A syntax error in expression, near `{}'.", peek().text);
    }
    return {};
}

bool ExpressionParser::starts_type_name(std::size_t at) const {
    const Token& token = tokens_[std::min(at, tokens_.size() - 1)];
    if (token.kind != TokenKind::identifier) {
        return false;
    }
    if (is_type_keyword(token.text)) {
        return true;
    }
    // A typedef name, unless a variable of that name hides it.
    return !scope_.has_symbol(token.text) &&
           scope_.find_type(token.text, TypeTag::ordinary) != nullptr;
}

Result<ExprPtr> ExpressionParser::parse_expression(std::string_view text) {
    auto tokens = tokenize(text);
    if (!tokens) {
        return std::unexpected(tokens.error());
    }
    tokens_ = std::move(*tokens);
    pos_ = 0;
    if (peek().kind == TokenKind::end) {
        return fail("Argument required (expression to compute).");
    }
    auto expr = comma();
    if (!expr) {
        return expr;
    }
    if (peek().kind != TokenKind::end) {
        return fail("A syntax error in expression, near `{}'.", text.substr(peek().position));
    }
    return expr;
}

Result<std::optional<const Type*>> ExpressionParser::parse_type_name(std::string_view text) {
    auto tokens = tokenize(text);
    if (!tokens) {
        return std::optional<const Type*>();
    }
    tokens_ = std::move(*tokens);
    pos_ = 0;
    if (!starts_type_name(0)) {
        return std::optional<const Type*>();
    }
    auto type = type_name();
    if (!type) {
        return std::unexpected(type.error());
    }
    if (peek().kind != TokenKind::end) {
        // "int x" or "u64 + 1": not a lone type name.
        return std::optional<const Type*>();
    }
    return std::optional<const Type*>(*type);
}

Result<const Type*> ExpressionParser::type_name() {
    bool is_const = false;
    bool is_volatile = false;
    bool is_unsigned = false;
    bool is_signed = false;
    int longs = 0;
    std::string base_word; // int, char, short, _Bool, float, double, void
    const Type* base = nullptr;
    while (peek().kind == TokenKind::identifier) {
        const std::string word = peek().text;
        if (word == "const") {
            is_const = true;
        } else if (word == "volatile") {
            is_volatile = true;
        } else if (word == "unsigned") {
            is_unsigned = true;
        } else if (word == "signed") {
            is_signed = true;
        } else if (word == "long") {
            ++longs;
        } else if (word == "short" || word == "int" || word == "char" || word == "_Bool" ||
                   word == "float" || word == "double" || word == "void") {
            if (word != "int" || base_word.empty()) {
                base_word = word;
            }
        } else if (word == "struct" || word == "union" || word == "enum") {
            ++pos_;
            if (peek().kind != TokenKind::identifier) {
                return fail("A syntax error in expression, near `{}'.", peek().text);
            }
            const TypeTag tag = word == "struct"  ? TypeTag::struct_tag
                                : word == "union" ? TypeTag::union_tag
                                                  : TypeTag::enum_tag;
            base = scope_.find_type(peek().text, tag);
            if (base == nullptr) {
                return fail("No {} type named {}.", word, peek().text);
            }
        } else if (base == nullptr && base_word.empty() && !is_unsigned && !is_signed &&
                   longs == 0) {
            base = scope_.find_type(word, TypeTag::ordinary);
            if (base == nullptr) {
                break;
            }
        } else {
            break;
        }
        ++pos_;
    }
    if (base == nullptr) {
        std::string name;
        if (base_word == "char") {
            name = is_unsigned ? "unsigned char" : is_signed ? "signed char" : "char";
        } else if (base_word == "short") {
            name = is_unsigned ? "unsigned short" : "short";
        } else if (base_word == "_Bool" || base_word == "float" || base_word == "void") {
            name = base_word;
        } else if (base_word == "double") {
            name = longs > 0 ? "long double" : "double";
        } else if (longs >= 2) {
            name = is_unsigned ? "unsigned long long" : "long long";
        } else if (longs == 1) {
            name = is_unsigned ? "unsigned long" : "long";
        } else if (!base_word.empty() || is_unsigned || is_signed) {
            name = is_unsigned ? "unsigned int" : "int";
        } else {
            return fail("A syntax error in expression, near `{}'.", peek().text);
        }
        base = name == "void" ? nullptr : scope_.find_type(name, TypeTag::ordinary);
        if (base == nullptr) {
            base = arena_.builtin(name);
        }
    }
    if (is_volatile) {
        base = arena_.qualified(base, TypeKind::volatile_type);
    }
    if (is_const) {
        base = arena_.qualified(base, TypeKind::const_type);
    }
    // Abstract declarator: stars (each optionally qualified), then array dimensions.
    while (accept("*")) {
        base = arena_.pointer_to(base);
        while (peek().kind == TokenKind::identifier &&
               (peek().text == "const" || peek().text == "volatile")) {
            base = arena_.qualified(base, peek().text == "const" ? TypeKind::const_type
                                                                 : TypeKind::volatile_type);
            ++pos_;
        }
    }
    std::vector<std::optional<std::uint64_t>> dims;
    while (accept("[")) {
        if (accept("]")) {
            dims.emplace_back(std::nullopt);
            continue;
        }
        if (peek().kind != TokenKind::number) {
            return fail("array size in a type must be a number, near `{}'", peek().text);
        }
        dims.emplace_back(peek().number);
        ++pos_;
        if (auto ok = expect("]"); !ok) {
            return std::unexpected(ok.error());
        }
    }
    for (auto it = dims.rbegin(); it != dims.rend(); ++it) {
        base = arena_.array_of(base, *it);
    }
    return base;
}

Result<ExprPtr> ExpressionParser::comma() {
    auto left = assignment();
    while (left && peek().kind == TokenKind::punctuator && peek().text == ",") {
        const std::size_t at = peek().position;
        ++pos_;
        auto right = assignment();
        if (!right) {
            return right;
        }
        auto expr = node(ExprKind::comma, at);
        expr->children.push_back(std::move(*left));
        expr->children.push_back(std::move(*right));
        left = std::move(expr);
    }
    return left;
}

Result<ExprPtr> ExpressionParser::assignment() {
    auto left = conditional();
    if (!left) {
        return left;
    }
    static constexpr std::array<std::string_view, 11> ops{
        "=", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "<<=", ">>="};
    if (peek().kind == TokenKind::punctuator) {
        for (auto op : ops) {
            if (peek().text == op) {
                const std::size_t at = peek().position;
                ++pos_;
                auto right = assignment();
                if (!right) {
                    return right;
                }
                auto expr = node(ExprKind::assign, at);
                expr->op = std::string(op);
                expr->children.push_back(std::move(*left));
                expr->children.push_back(std::move(*right));
                return expr;
            }
        }
    }
    return left;
}

Result<ExprPtr> ExpressionParser::conditional() {
    auto condition = binary(0);
    if (!condition || !accept("?")) {
        return condition;
    }
    auto then = comma();
    if (!then) {
        return then;
    }
    if (auto ok = expect(":"); !ok) {
        return std::unexpected(ok.error());
    }
    auto otherwise = conditional();
    if (!otherwise) {
        return otherwise;
    }
    auto expr = node(ExprKind::ternary, (*condition)->position);
    expr->children.push_back(std::move(*condition));
    expr->children.push_back(std::move(*then));
    expr->children.push_back(std::move(*otherwise));
    return expr;
}

Result<ExprPtr> ExpressionParser::binary(int level) {
    static const std::vector<std::vector<std::string_view>> levels{{"||"},
                                                                   {"&&"},
                                                                   {"|"},
                                                                   {"^"},
                                                                   {"&"},
                                                                   {"==", "!="},
                                                                   {"<", ">", "<=", ">="},
                                                                   {"<<", ">>"},
                                                                   {"+", "-"},
                                                                   {"*", "/", "%"},
                                                                   {"@"}};
    if (level >= static_cast<int>(levels.size())) {
        return unary();
    }
    auto left = binary(level + 1);
    while (left && peek().kind == TokenKind::punctuator) {
        const auto& ops = levels[static_cast<std::size_t>(level)];
        std::string op;
        for (auto candidate : ops) {
            if (peek().text == candidate) {
                op = std::string(candidate);
            }
        }
        if (op.empty()) {
            break;
        }
        const std::size_t at = peek().position;
        ++pos_;
        auto right = binary(level + 1);
        if (!right) {
            return right;
        }
        auto expr = node(op == "&&" || op == "||" ? ExprKind::logical : ExprKind::binary, at);
        expr->op = op;
        expr->children.push_back(std::move(*left));
        expr->children.push_back(std::move(*right));
        left = std::move(expr);
    }
    return left;
}

Result<ExprPtr> ExpressionParser::typed_operand(std::string_view close, ExprKind kind) {
    const std::size_t at = tokens_[pos_].position;
    ++pos_;
    auto type = type_name();
    if (!type) {
        return std::unexpected(type.error());
    }
    if (auto ok = expect(close); !ok) {
        return std::unexpected(ok.error());
    }
    auto operand = unary();
    if (!operand) {
        return operand;
    }
    auto expr = node(kind, at);
    expr->type = *type;
    expr->children.push_back(std::move(*operand));
    return expr;
}

Result<ExprPtr> ExpressionParser::unary() {
    const Token& token = peek();
    if (token.kind == TokenKind::punctuator) {
        for (std::string_view op : {"-", "+", "!", "~", "*", "&"}) {
            if (token.text == op) {
                const std::size_t at = token.position;
                ++pos_;
                auto operand = unary();
                if (!operand) {
                    return operand;
                }
                auto expr = node(ExprKind::unary, at);
                expr->op = std::string(op);
                expr->children.push_back(std::move(*operand));
                return expr;
            }
        }
        // "(type) operand" is a cast; GDB's "{type} address" reads an object at an address.
        if (token.text == "(" && starts_type_name(pos_ + 1)) {
            return typed_operand(")", ExprKind::cast);
        }
        if (token.text == "{") {
            return typed_operand("}", ExprKind::at_address);
        }
    }
    if (token.kind == TokenKind::identifier && token.text == "sizeof") {
        const std::size_t at = token.position;
        ++pos_;
        if (peek().kind == TokenKind::punctuator && peek().text == "(" &&
            starts_type_name(pos_ + 1)) {
            ++pos_;
            auto type = type_name();
            if (!type) {
                return std::unexpected(type.error());
            }
            if (auto ok = expect(")"); !ok) {
                return std::unexpected(ok.error());
            }
            auto expr = node(ExprKind::sizeof_type, at);
            expr->type = *type;
            return expr;
        }
        auto operand = unary();
        if (!operand) {
            return operand;
        }
        auto expr = node(ExprKind::sizeof_expr, at);
        expr->children.push_back(std::move(*operand));
        return expr;
    }
    return postfix();
}

Result<std::string> ExpressionParser::member_path() {
    std::string path;
    do {
        if (peek().kind != TokenKind::identifier) {
            return fail("expected a member name, near `{}'", peek().text);
        }
        path += (path.empty() ? "" : ".") + peek().text;
        ++pos_;
    } while (accept("."));
    return path;
}

Result<ExprPtr> ExpressionParser::postfix() {
    auto expr = primary();
    while (expr) {
        const std::size_t at = peek().position;
        if (accept(".") || (peek().text == "->" && peek().kind == TokenKind::punctuator)) {
            const bool arrow = accept("->");
            if (peek().kind != TokenKind::identifier) {
                return fail("A syntax error in expression, near `{}'.", peek().text);
            }
            auto access = node(arrow ? ExprKind::arrow : ExprKind::member, at);
            access->text = peek().text;
            ++pos_;
            access->children.push_back(std::move(*expr));
            expr = std::move(access);
        } else if (accept("[")) {
            auto subscript = comma();
            if (!subscript) {
                return subscript;
            }
            if (auto ok = expect("]"); !ok) {
                return std::unexpected(ok.error());
            }
            auto index = node(ExprKind::index, at);
            index->children.push_back(std::move(*expr));
            index->children.push_back(std::move(*subscript));
            expr = std::move(index);
        } else {
            break;
        }
    }
    return expr;
}

Result<ExprPtr> ExpressionParser::primary() {
    const Token token = peek();
    switch (token.kind) {
    case TokenKind::number: {
        ++pos_;
        auto expr = node(ExprKind::number, token.position);
        expr->value = token.number;
        expr->type = literal_type(token, arena_);
        return expr;
    }
    case TokenKind::character: {
        ++pos_;
        auto expr = node(ExprKind::character, token.position);
        expr->value = token.number;
        return expr;
    }
    case TokenKind::string: {
        ++pos_;
        auto expr = node(ExprKind::string, token.position);
        expr->text = token.text;
        return expr;
    }
    case TokenKind::dollar: {
        ++pos_;
        // $name(args): a convenience function such as $lx_current() (EvalContext::functions).
        if (!token.text.empty() && accept("(")) {
            auto call = node(ExprKind::call, token.position);
            call->text = "$" + token.text;
            if (!accept(")")) {
                do {
                    auto argument = assignment();
                    if (!argument) {
                        return argument;
                    }
                    call->children.push_back(std::move(*argument));
                } while (accept(","));
                if (auto ok = expect(")"); !ok) {
                    return std::unexpected(ok.error());
                }
            }
            return call;
        }
        auto expr = node(ExprKind::dollar, token.position);
        expr->text = token.text;
        return expr;
    }
    case TokenKind::identifier: {
        ++pos_;
        if ((token.text == "offsetof" || token.text == "__builtin_offsetof") && accept("(")) {
            auto type = type_name();
            if (!type) {
                return std::unexpected(type.error());
            }
            if (auto ok = expect(","); !ok) {
                return std::unexpected(ok.error());
            }
            auto path = member_path();
            if (!path) {
                return std::unexpected(path.error());
            }
            if (auto ok = expect(")"); !ok) {
                return std::unexpected(ok.error());
            }
            auto expr = node(ExprKind::offsetof, token.position);
            expr->type = *type;
            expr->text = *path;
            return expr;
        }
        if (token.text == "container_of" && accept("(")) {
            auto pointer = assignment();
            if (!pointer) {
                return pointer;
            }
            if (auto ok = expect(","); !ok) {
                return std::unexpected(ok.error());
            }
            auto type = type_name();
            if (!type) {
                return std::unexpected(type.error());
            }
            if (auto ok = expect(","); !ok) {
                return std::unexpected(ok.error());
            }
            auto path = member_path();
            if (!path) {
                return std::unexpected(path.error());
            }
            if (auto ok = expect(")"); !ok) {
                return std::unexpected(ok.error());
            }
            auto expr = node(ExprKind::container_of, token.position);
            expr->type = *type;
            expr->text = *path;
            expr->children.push_back(std::move(*pointer));
            return expr;
        }
        if (token.text == "per_cpu" && accept("(")) {
            auto call = node(ExprKind::call, token.position);
            call->text = token.text;
            do {
                auto argument = assignment();
                if (!argument) {
                    return argument;
                }
                call->children.push_back(std::move(*argument));
            } while (accept(","));
            if (auto ok = expect(")"); !ok) {
                return std::unexpected(ok.error());
            }
            return call;
        }
        auto expr = node(ExprKind::identifier, token.position);
        expr->text = token.text;
        return expr;
    }
    case TokenKind::punctuator:
        if (token.text == "(") {
            ++pos_;
            auto inner = comma();
            if (!inner) {
                return inner;
            }
            if (auto ok = expect(")"); !ok) {
                return std::unexpected(ok.error());
            }
            return inner;
        }
        return fail("A syntax error in expression, near `{}'.", token.text);
    case TokenKind::end:
        return fail("A syntax error in expression, near `'.");
    }
    return fail("A syntax error in expression.");
}

} // namespace kdive::eval
