// A typed value: where it lives (memory, register, nowhere) and its bytes, read on demand.
#pragma once

#include "debuginfo/type.hpp"
#include "eval/memory_reader.hpp"
#include "support/error.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace kdive::eval {

using debuginfo::Type;

class Value {
public:
    // A value at an address; nothing is read until bytes() is called.
    static Value at(const Type* type, std::uint64_t address);
    // A value that exists only in the debugger (literals, results, history).
    static Value computed(const Type* type, std::vector<std::byte> bytes);
    static Value from_integer(const Type* type, std::uint64_t bits);
    static Value in_register(const Type* type, std::string name, std::uint64_t bits);
    static Value void_value(const Type* void_type);
    // A variable the compiler dropped at this pc: prints as <optimized out>.
    static Value optimized_out(const Type* type);

    const Type* type() const { return type_; }
    const Type* resolved_type() const { return debuginfo::strip_typedefs(type_); }
    std::optional<std::uint64_t> address() const { return address_; }
    bool is_optimized_out() const { return optimized_out_; }
    bool is_lvalue() const { return address_.has_value() || !register_.empty(); }
    const std::string& register_name() const { return register_; }
    std::uint32_t bit_offset() const { return bit_offset_; } // within the bytes at address
    std::uint32_t bit_size() const { return bit_size_; }     // non-zero for bitfields

    // The same storage seen as another type (casts of lvalues, member access).
    Value retyped(const Type* type) const;
    // A member or element at a byte offset from this value (reuses fetched bytes).
    Value sub_value(const Type* type, std::uint64_t byte_offset) const;
    Value bitfield(const Type* type, std::uint64_t bit_offset, std::uint32_t bit_size) const;

    // Reads the whole object once, so printing a struct is one read.
    Result<const std::vector<std::byte>*> bytes(MemoryReader* memory) const;
    // Integer view (sign-extended for signed types, bitfields extracted); pointers too.
    Result<std::uint64_t> as_bits(MemoryReader* memory) const;
    Result<std::int64_t> as_signed(MemoryReader* memory) const;
    Result<double> as_double(MemoryReader* memory) const;

private:
    const Type* type_ = nullptr;
    std::optional<std::uint64_t> address_;
    std::string register_;
    std::uint32_t bit_offset_ = 0;
    std::uint32_t bit_size_ = 0;
    mutable std::optional<std::vector<std::byte>> bytes_;
    bool optimized_out_ = false;
};

} // namespace kdive::eval
