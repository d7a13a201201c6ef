// Formats values the way GDB's print does: structs, arrays with repeats, strings, symbols.
#pragma once

#include "eval/memory_reader.hpp"
#include "eval/scope.hpp"
#include "eval/value.hpp"

#include <string>

namespace kdive::eval {

struct PrintOptions {
    char format = 0;                   // 0 natural, or one of x d u o t c a z s
    std::size_t max_elements = 200;    // GDB's "print elements"
    std::size_t repeat_threshold = 10; // GDB's "print repeats"
};

class ValuePrinter {
public:
    ValuePrinter(Scope& scope, MemoryReader* memory, PrintOptions options = {})
        : scope_(scope), memory_(memory), options_(options) {}

    // The text after "$1 = ". Fails only when the top-level value cannot be read; unreadable
    // parts inside aggregates print as <error: ...> like GDB.
    Result<std::string> format(const Value& value);
    // As inside a frame line or `info locals`: pointers without their "(type *)" prefix.
    Result<std::string> format_nested(const Value& value) { return format_value(value, false); }

private:
    Result<std::string> format_value(const Value& value, bool top_level);
    Result<std::string> format_integer(const Value& value, const Type* type);
    Result<std::string> format_pointer(const Value& value, bool top_level);
    Result<std::string> format_array(const Value& value, bool top_level);
    Result<std::string> format_aggregate(const Value& value);
    std::string format_string(const std::vector<std::byte>& bytes, std::size_t length,
                              bool drop_trailing_nul);
    std::string symbol_suffix(std::uint64_t address);
    std::string format_bits(std::uint64_t bits, const Type* type, char format);

    Scope& scope_;
    MemoryReader* memory_;
    PrintOptions options_;
};

// 'A' → "'A'", 0 → "'\000'"; GDB's escapes.
std::string quote_char(unsigned char c, char quote);

} // namespace kdive::eval
