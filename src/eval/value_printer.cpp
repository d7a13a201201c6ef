// GDB-compatible value formatting.
#include "eval/value_printer.hpp"

#include "eval/expression_evaluator.hpp"
#include "eval/type_printer.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <fmt/format.h>

namespace kdive::eval {

using debuginfo::IntEncoding;
using debuginfo::strip_qualifiers;
using debuginfo::strip_typedefs;

namespace {

std::string escape(unsigned char c, char quote) {
    switch (c) {
    case '\a':
        return "\\a";
    case '\b':
        return "\\b";
    case '\f':
        return "\\f";
    case '\n':
        return "\\n";
    case '\r':
        return "\\r";
    case '\t':
        return "\\t";
    case '\v':
        return "\\v";
    case '\\':
        return "\\\\";
    default:
        break;
    }
    if (c == static_cast<unsigned char>(quote)) {
        return std::string("\\") + quote;
    }
    if (c >= 32 && c < 127) {
        return std::string(1, static_cast<char>(c));
    }
    return fmt::format("\\{:03o}", c);
}

bool is_textual(const Type* element) {
    return strip_typedefs(element)->is_char();
}

} // namespace

std::string quote_char(unsigned char c, char quote) {
    return std::string(1, quote) + escape(c, quote) + quote;
}

Result<std::string> ValuePrinter::format(const Value& value) {
    return format_value(value, true);
}

std::string ValuePrinter::symbol_suffix(std::uint64_t address) {
    auto name = scope_.symbolize(address);
    return name ? fmt::format(" <{}>", *name) : "";
}

std::string ValuePrinter::format_bits(std::uint64_t bits, const Type* type, char format) {
    const Type* t = strip_typedefs(type);
    const std::uint64_t size = std::clamp<std::uint64_t>(t->size, 1, 8);
    const std::uint64_t mask = size >= 8 ? ~0ull : (1ull << (size * 8)) - 1;
    const std::uint64_t u = bits & mask;
    switch (format) {
    case 'x':
        return fmt::format("{:#x}", u);
    case 'z':
        return fmt::format("0x{:0{}x}", u, size * 2);
    case 'o':
        return u == 0 ? "0" : fmt::format("0{:o}", u);
    case 't':
        return fmt::format("{:b}", u);
    case 'u':
        return fmt::format("{}", u);
    case 'd': {
        std::int64_t s = static_cast<std::int64_t>(u);
        if (size < 8 && (u >> (size * 8 - 1)) != 0) {
            s = static_cast<std::int64_t>(u | ~mask);
        }
        return fmt::format("{}", s);
    }
    case 'c': {
        const auto c = static_cast<unsigned char>(u & 0xff);
        return fmt::format("{} {}", static_cast<int>(static_cast<signed char>(c)),
                           quote_char(c, '\''));
    }
    case 'a':
        return fmt::format("{:#x}{}", u, symbol_suffix(u));
    default:
        return fmt::format("{}", u);
    }
}

Result<std::string> ValuePrinter::format_integer(const Value& value, const Type* type) {
    auto bits = value.as_bits(memory_);
    if (!bits) {
        return std::unexpected(bits.error());
    }
    if (options_.format != 0 && options_.format != 's') {
        return format_bits(*bits, type, options_.format);
    }
    if (type->kind == TypeKind::enumeration) {
        const std::int64_t v = static_cast<std::int64_t>(*bits);
        for (const auto& e : type->enumerators) {
            if (e.value == v ||
                (type->size < 8 && static_cast<std::uint64_t>(e.value) ==
                                       (*bits & ((1ull << (type->size * 8)) - 1)))) {
                return e.name;
            }
        }
        // A flag enum (disjoint bit values) prints as an OR of names, like GDB.
        bool flags = !type->enumerators.empty();
        std::uint64_t seen = 0;
        for (const auto& e : type->enumerators) {
            const auto u = static_cast<std::uint64_t>(e.value);
            if (e.value < 0 || (u & seen) != 0) {
                flags = false;
                break;
            }
            seen |= u;
        }
        if (flags && *bits != 0) {
            std::string out = "(";
            std::uint64_t rest = *bits;
            for (const auto& e : type->enumerators) {
                const auto u = static_cast<std::uint64_t>(e.value);
                if (u != 0 && (rest & u) == u) {
                    out += (out.size() > 1 ? " | " : "") + e.name;
                    rest &= ~u;
                }
            }
            if (rest != 0) {
                out += fmt::format("{}unknown: {:#x}", out.size() > 1 ? " | " : "", rest);
            }
            return out + ")";
        }
        return type->is_signed() ? fmt::format("{}", v) : fmt::format("{}", *bits);
    }
    if (type->encoding == IntEncoding::boolean) {
        if (*bits == 0) {
            return std::string("false");
        }
        if (*bits == 1) {
            return std::string("true");
        }
        return fmt::format("{}", *bits);
    }
    if (type->is_char()) {
        const auto c = static_cast<unsigned char>(*bits & 0xff);
        const int shown = type->is_signed() ? static_cast<int>(static_cast<signed char>(c)) : c;
        return fmt::format("{} {}", shown, quote_char(c, '\''));
    }
    if (type->is_signed() && value.bit_size() == 0) {
        return fmt::format("{}", static_cast<std::int64_t>(*bits));
    }
    if (type->is_signed()) {
        return fmt::format("{}", static_cast<std::int64_t>(*bits));
    }
    const std::uint64_t size = std::clamp<std::uint64_t>(type->size, 1, 8);
    const std::uint64_t mask = size >= 8 ? ~0ull : (1ull << (size * 8)) - 1;
    return fmt::format("{}", *bits & mask);
}

Result<std::string> ValuePrinter::format_pointer(const Value& value, bool top_level) {
    auto bits = value.as_bits(memory_);
    if (!bits) {
        return std::unexpected(bits.error());
    }
    const Type* type = strip_typedefs(value.type());
    if (options_.format != 0 && options_.format != 's' && options_.format != 'a') {
        return format_bits(*bits, type, options_.format);
    }
    const Type* pointee = strip_qualifiers(type->target.get());
    std::string out;
    const bool char_pointer = pointee->kind == TypeKind::integer && pointee->is_char();
    if (top_level && !char_pointer) {
        out = fmt::format("({}) ", type_name(value.type()));
    }
    out += fmt::format("{:#x}{}", *bits, symbol_suffix(*bits));
    // GDB shows the string a char pointer points at, up to "print elements"; not for NULL.
    if (char_pointer && options_.format == 0 && *bits != 0) {
        std::vector<std::byte> text;
        std::string error;
        for (std::uint64_t at = *bits; text.size() < options_.max_elements;) {
            auto chunk = memory_ != nullptr ? memory_->read(at, 1) : fail("no memory");
            if (!chunk) {
                error = chunk.error().message;
                break;
            }
            if ((*chunk)[0] == std::byte{0}) {
                break;
            }
            text.push_back((*chunk)[0]);
            ++at;
        }
        if (!error.empty() && text.empty()) {
            out += fmt::format(" <error: {}>", error);
        } else {
            out += " " + format_string(text, text.size(), false);
            if (text.size() >= options_.max_elements) {
                out += "...";
            }
        }
    }
    return out;
}

std::string ValuePrinter::format_string(const std::vector<std::byte>& bytes, std::size_t length,
                                        bool drop_trailing_nul) {
    if (drop_trailing_nul && length > 0 && bytes[length - 1] == std::byte{0}) {
        --length;
    }
    if (length == 0) {
        return "\"\"";
    }
    std::string out;
    bool in_quotes = false;
    for (std::size_t i = 0; i < length;) {
        std::size_t run = 1;
        while (i + run < length && bytes[i + run] == bytes[i]) {
            ++run;
        }
        const auto c = std::to_integer<unsigned char>(bytes[i]);
        if (run > options_.repeat_threshold) {
            if (in_quotes) {
                out += "\", ";
                in_quotes = false;
            } else if (!out.empty()) {
                out += ", ";
            }
            out += fmt::format("{} <repeats {} times>", quote_char(c, '\''), run);
            i += run;
            continue;
        }
        if (!in_quotes) {
            out += out.empty() ? "\"" : ", \"";
            in_quotes = true;
        }
        for (std::size_t k = 0; k < run; ++k) {
            out += escape(c, '"');
        }
        i += run;
    }
    if (in_quotes) {
        out += "\"";
    }
    return out;
}

Result<std::string> ValuePrinter::format_array(const Value& value, bool top_level) {
    (void)top_level;
    const Type* type = strip_typedefs(value.type());
    const Type* element = type->target.get();
    if (!type->count || *type->count == 0) {
        // Flexible and zero-length arrays have no elements to print; GDB shows where they
        // start, named after the symbol when one covers it (even under /x).
        const std::uint64_t address = value.address().value_or(0);
        return fmt::format("{:#x}{}", address, symbol_suffix(address));
    }
    const std::uint64_t count = *type->count;
    const std::uint64_t step = strip_typedefs(element)->size;
    if (is_textual(element) && (options_.format == 0 || options_.format == 's') && step == 1) {
        const std::size_t shown =
            static_cast<std::size_t>(std::min<std::uint64_t>(count, options_.max_elements));
        Value prefix = value;
        std::vector<std::byte> bytes;
        if (value.address() && count > shown) {
            auto read = memory_ != nullptr
                            ? memory_->read(*value.address(), shown)
                            : fail("Cannot access memory at address {:#x}", *value.address());
            if (!read) {
                return std::unexpected(read.error());
            }
            bytes = std::move(*read);
        } else {
            auto all = value.bytes(memory_);
            if (!all) {
                return std::unexpected(all.error());
            }
            bytes = **all;
        }
        std::string out =
            format_string(bytes, std::min<std::size_t>(shown, bytes.size()), count <= shown);
        if (count > shown) {
            out += "...";
        }
        return out;
    }
    auto all = value.bytes(memory_);
    if (!all) {
        return std::unexpected(all.error());
    }
    const auto& bytes = **all;
    std::string out = "{";
    std::size_t things = 0;
    std::uint64_t i = 0;
    for (; i < count && things < options_.max_elements; ++i) {
        if (i != 0) {
            out += ", ";
        }
        std::uint64_t run = 1;
        while (step > 0 && i + run < count &&
               std::memcmp(bytes.data() + i * step, bytes.data() + (i + run) * step, step) == 0) {
            ++run;
        }
        auto text = format_value(value.sub_value(element, i * step), false);
        if (!text) {
            return text;
        }
        out += *text;
        if (run > options_.repeat_threshold) {
            out += fmt::format(" <repeats {} times>", run);
            i += run - 1;
            things += options_.repeat_threshold;
        } else {
            ++things;
        }
    }
    if (i < count) {
        out += "...";
    }
    return out + "}";
}

Result<std::string> ValuePrinter::format_aggregate(const Value& value) {
    const Type* type = strip_typedefs(value.type());
    if (type->declaration && type->members.empty()) {
        return std::string("<incomplete type>");
    }
    if (type->members.empty()) {
        return std::string("{<No data fields>}");
    }
    // One read for the whole object; members are cut from these bytes.
    if (auto all = value.bytes(memory_); !all) {
        return std::unexpected(all.error());
    }
    std::string out = "{";
    bool first = true;
    for (const auto& member : type->members) {
        if (!first) {
            out += ", ";
        }
        first = false;
        if (!member.name.empty()) {
            out += member.name + " = ";
        }
        const Value field =
            member.bit_size > 0
                ? value.bitfield(member.type.get(), member.bit_offset, member.bit_size)
                : value.sub_value(member.type.get(), member.bit_offset / 8);
        auto text = format_value(field, false);
        out += text ? *text : fmt::format("<error: {}>", text.error().message);
    }
    return out + "}";
}

Result<std::string> ValuePrinter::format_value(const Value& value, bool top_level) {
    if (value.is_optimized_out()) {
        return std::string("<optimized out>");
    }
    const Type* type = strip_typedefs(value.type());
    switch (type->kind) {
    case TypeKind::integer:
    case TypeKind::enumeration:
        return format_integer(value, type);
    case TypeKind::floating: {
        if (options_.format != 0 && options_.format != 's') {
            auto bits = value.as_bits(memory_);
            if (!bits) {
                return std::unexpected(bits.error());
            }
            return format_bits(*bits, type, options_.format);
        }
        auto d = value.as_double(memory_);
        if (!d) {
            return std::unexpected(d.error());
        }
        return fmt::format("{:.{}g}", *d, type->size == 4 ? 9 : 17);
    }
    case TypeKind::pointer:
        return format_pointer(value, top_level);
    case TypeKind::array:
        return format_array(value, top_level);
    case TypeKind::structure:
    case TypeKind::union_type:
        return format_aggregate(value);
    case TypeKind::function: {
        const std::uint64_t address = value.address().value_or(0);
        return fmt::format("{{{}}} {:#x}{}", type_name(value.type()), address,
                           symbol_suffix(address));
    }
    case TypeKind::void_type:
        return std::string("void");
    default:
        if (!type->name.empty() && type != debuginfo::unknown_type()) {
            return fail("'{}' has unknown type; cast it to its declared type", type->name);
        }
        return std::string("<unknown type>");
    }
}

} // namespace kdive::eval
