// Splits a C expression into tokens: numbers, chars, strings, names, $-variables, operators.
#pragma once

#include "support/error.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kdive::eval {

enum class TokenKind { number, character, string, identifier, dollar, punctuator, end };

struct Token {
    TokenKind kind = TokenKind::end;
    std::string text;         // identifier, operator, $name (without '$'), decoded string
    std::uint64_t number = 0; // number and character tokens
    bool is_unsigned = false; // 'u' suffix
    int longs = 0;            // 'l' suffixes
    bool decimal = true;      // decimal literals prefer signed types in C
    std::size_t position = 0;
};

Result<std::vector<Token>> tokenize(std::string_view text);

} // namespace kdive::eval
