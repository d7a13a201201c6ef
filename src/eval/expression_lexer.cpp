// Hand-written lexer for GDB's C expression dialect.
#include "eval/expression_lexer.hpp"

#include <array>
#include <cctype>

namespace kdive::eval {

namespace {

bool is_name_start(char c) {
    return std::isalpha(static_cast<unsigned char>(c)) || c == '_';
}
bool is_name_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}

// Decodes one (possibly escaped) character of a char or string literal.
Result<std::uint64_t> decode_char(std::string_view text, std::size_t& i) {
    if (i >= text.size()) {
        return fail("Unterminated literal");
    }
    if (text[i] != '\\') {
        return static_cast<unsigned char>(text[i++]);
    }
    if (++i >= text.size()) {
        return fail("Unterminated escape sequence");
    }
    const char c = text[i++];
    switch (c) {
    case 'n':
        return '\n';
    case 't':
        return '\t';
    case 'r':
        return '\r';
    case 'a':
        return '\a';
    case 'b':
        return '\b';
    case 'f':
        return '\f';
    case 'v':
        return '\v';
    case 'e':
        return 27;
    case 'x': {
        std::uint64_t value = 0;
        std::size_t digits = 0;
        while (i < text.size() && std::isxdigit(static_cast<unsigned char>(text[i]))) {
            value = value * 16 +
                    static_cast<std::uint64_t>(
                        std::isdigit(static_cast<unsigned char>(text[i]))
                            ? text[i] - '0'
                            : (std::tolower(static_cast<unsigned char>(text[i])) - 'a' + 10));
            ++i;
            ++digits;
        }
        if (digits == 0) {
            return fail("\\x escape sequence without digits");
        }
        return value & 0xff;
    }
    default:
        if (c >= '0' && c <= '7') {
            std::uint64_t value = static_cast<std::uint64_t>(c - '0');
            for (int n = 0; n < 2 && i < text.size() && text[i] >= '0' && text[i] <= '7'; ++n) {
                value = value * 8 + static_cast<std::uint64_t>(text[i++] - '0');
            }
            return value & 0xff;
        }
        return static_cast<unsigned char>(c);
    }
}

} // namespace

Result<std::vector<Token>> tokenize(std::string_view text) {
    static constexpr std::array<std::string_view, 36> punctuators{
        "<<=", ">>=", "->", "++", "--", "<<", ">>", "<=", ">=", "==", "!=", "&&",
        "||",  "+=",  "-=", "*=", "/=", "%=", "&=", "|=", "^=", "(",  ")",  "[",
        "]",   ".",   ",",  "+",  "-",  "*",  "/",  "%",  "<",  ">",  "=",  "?"};
    static constexpr std::string_view single = "&|^!~:{}@";
    std::vector<Token> tokens;
    std::size_t i = 0;
    while (i < text.size()) {
        const char c = text[i];
        if (std::isspace(static_cast<unsigned char>(c))) {
            ++i;
            continue;
        }
        Token token;
        token.position = i;
        if (std::isdigit(static_cast<unsigned char>(c))) {
            int base = 10;
            std::size_t j = i;
            if (c == '0' && j + 1 < text.size() && (text[j + 1] == 'x' || text[j + 1] == 'X')) {
                base = 16;
                j += 2;
            } else if (c == '0' && j + 1 < text.size() &&
                       (text[j + 1] == 'b' || text[j + 1] == 'B')) {
                base = 2;
                j += 2;
            } else if (c == '0') {
                base = 8;
            }
            std::uint64_t value = 0;
            const std::size_t digits_start = j;
            while (j < text.size() && std::isxdigit(static_cast<unsigned char>(text[j]))) {
                const char d = static_cast<char>(std::tolower(static_cast<unsigned char>(text[j])));
                const int digit =
                    std::isdigit(static_cast<unsigned char>(d)) ? d - '0' : d - 'a' + 10;
                if (digit >= base) {
                    return fail("Invalid number \"{}\".", text.substr(i, j - i + 1));
                }
                if (__builtin_mul_overflow(value, static_cast<std::uint64_t>(base), &value) ||
                    __builtin_add_overflow(value, static_cast<std::uint64_t>(digit), &value)) {
                    return fail("Numeric constant too large.");
                }
                ++j;
            }
            if (j == digits_start && base != 8) {
                return fail("Invalid number \"{}\".", text.substr(i, j - i));
            }
            while (j < text.size() &&
                   (text[j] == 'u' || text[j] == 'U' || text[j] == 'l' || text[j] == 'L')) {
                if (text[j] == 'u' || text[j] == 'U') {
                    token.is_unsigned = true;
                } else {
                    ++token.longs;
                }
                ++j;
            }
            if (j < text.size() && is_name_char(text[j])) {
                return fail("Invalid number \"{}\".", text.substr(i, j - i + 1));
            }
            token.kind = TokenKind::number;
            token.number = value;
            token.decimal = base == 10;
            token.text = std::string(text.substr(i, j - i));
            i = j;
        } else if (is_name_start(c)) {
            std::size_t j = i;
            while (j < text.size() && is_name_char(text[j])) {
                ++j;
            }
            token.kind = TokenKind::identifier;
            token.text = std::string(text.substr(i, j - i));
            i = j;
        } else if (c == '$') {
            std::size_t j = i + 1;
            while (j < text.size() && (is_name_char(text[j]) || text[j] == '$')) {
                ++j;
            }
            token.kind = TokenKind::dollar;
            token.text = std::string(text.substr(i + 1, j - i - 1));
            i = j;
        } else if (c == '\'') {
            std::size_t j = i + 1;
            auto value = decode_char(text, j);
            if (!value) {
                return std::unexpected(value.error());
            }
            if (j >= text.size() || text[j] != '\'') {
                return fail("Unmatched single quote.");
            }
            token.kind = TokenKind::character;
            token.number = *value;
            i = j + 1;
        } else if (c == '"') {
            std::size_t j = i + 1;
            std::string decoded;
            while (j < text.size() && text[j] != '"') {
                auto value = decode_char(text, j);
                if (!value) {
                    return std::unexpected(value.error());
                }
                decoded.push_back(static_cast<char>(*value));
            }
            if (j >= text.size()) {
                return fail("Unterminated string in expression.");
            }
            token.kind = TokenKind::string;
            token.text = std::move(decoded);
            i = j + 1;
        } else {
            bool matched = false;
            for (std::string_view p : punctuators) {
                if (text.substr(i, p.size()) == p) {
                    token.kind = TokenKind::punctuator;
                    token.text = std::string(p);
                    i += p.size();
                    matched = true;
                    break;
                }
            }
            if (!matched && single.find(c) != std::string_view::npos) {
                token.kind = TokenKind::punctuator;
                token.text = std::string(1, c);
                ++i;
                matched = true;
            }
            if (!matched) {
                return fail("Invalid character '{}' in expression.", c);
            }
        }
        tokens.push_back(std::move(token));
    }
    Token end;
    end.position = text.size();
    tokens.push_back(end);
    return tokens;
}

} // namespace kdive::eval
