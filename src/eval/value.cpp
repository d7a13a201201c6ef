// Reads and interprets a value's bytes (little-endian x86-64 targets).
#include "eval/value.hpp"

#include <algorithm>
#include <cstring>

namespace kdive::eval {

using debuginfo::TypeKind;

Value Value::at(const Type* type, std::uint64_t address) {
    Value value;
    value.type_ = type;
    value.address_ = address;
    return value;
}

Value Value::computed(const Type* type, std::vector<std::byte> bytes) {
    Value value;
    value.type_ = type;
    value.bytes_ = std::move(bytes);
    return value;
}

Value Value::from_integer(const Type* type, std::uint64_t bits) {
    const std::size_t size = std::clamp<std::size_t>(debuginfo::strip_typedefs(type)->size, 1, 8);
    std::vector<std::byte> bytes(size);
    std::memcpy(bytes.data(), &bits, size);
    return computed(type, std::move(bytes));
}

Value Value::in_register(const Type* type, std::string name, std::uint64_t bits) {
    Value value = from_integer(type, bits);
    value.register_ = std::move(name);
    return value;
}

Value Value::void_value(const Type* void_type) {
    return computed(void_type, {});
}

Value Value::optimized_out(const Type* type) {
    Value value;
    value.type_ = type;
    value.optimized_out_ = true;
    return value;
}

Value Value::retyped(const Type* type) const {
    Value value = *this;
    value.type_ = type;
    if (bytes_ && bytes_->size() < debuginfo::strip_typedefs(type)->size && address_) {
        value.bytes_.reset();
    }
    return value;
}

Value Value::sub_value(const Type* type, std::uint64_t byte_offset) const {
    Value value;
    value.type_ = type;
    value.optimized_out_ = optimized_out_;
    if (address_) {
        value.address_ = *address_ + byte_offset;
    }
    if (bytes_) {
        const std::size_t size = debuginfo::strip_typedefs(type)->size;
        if (byte_offset + size <= bytes_->size()) {
            value.bytes_.emplace(bytes_->begin() + static_cast<std::ptrdiff_t>(byte_offset),
                                 bytes_->begin() + static_cast<std::ptrdiff_t>(byte_offset + size));
        } else if (!address_) {
            value.bytes_.emplace(size);
        }
    }
    return value;
}

Value Value::bitfield(const Type* type, std::uint64_t bit_offset, std::uint32_t bit_size) const {
    // Keep the containing bytes that hold the field, aligned down to a byte.
    const std::uint64_t first_byte = bit_offset / 8;
    const std::uint64_t last_byte = (bit_offset + bit_size + 7) / 8;
    Value value;
    value.type_ = type;
    value.bit_offset_ = static_cast<std::uint32_t>(bit_offset % 8);
    value.bit_size_ = bit_size;
    if (address_) {
        value.address_ = *address_ + first_byte;
    }
    if (bytes_ && last_byte <= bytes_->size()) {
        value.bytes_.emplace(bytes_->begin() + static_cast<std::ptrdiff_t>(first_byte),
                             bytes_->begin() + static_cast<std::ptrdiff_t>(last_byte));
    }
    return value;
}

Result<const std::vector<std::byte>*> Value::bytes(MemoryReader* memory) const {
    if (optimized_out_) {
        return fail("value has been optimized out");
    }
    if (!bytes_) {
        if (!address_) {
            return fail("value has no contents");
        }
        if (memory == nullptr) {
            return fail("Cannot access memory at address {:#x}: no memory source", *address_);
        }
        const std::size_t size =
            bit_size_ > 0 ? (bit_offset_ + bit_size_ + 7) / 8 : resolved_type()->size;
        auto read = memory->read(*address_, size);
        if (!read) {
            return std::unexpected(read.error());
        }
        bytes_ = std::move(*read);
    }
    return &*bytes_;
}

Result<std::uint64_t> Value::as_bits(MemoryReader* memory) const {
    auto contents = bytes(memory);
    if (!contents) {
        return std::unexpected(contents.error());
    }
    const auto& b = **contents;
    const Type* type = resolved_type();
    if (bit_size_ > 0) {
        // The field spans at most 9 bytes: 8 low ones and a ninth for the top bits.
        std::uint64_t low = 0;
        std::memcpy(&low, b.data(), std::min<std::size_t>(b.size(), 8));
        const std::uint64_t high = b.size() > 8 ? std::to_integer<std::uint64_t>(b[8]) : 0;
        std::uint64_t field = low >> bit_offset_;
        if (bit_offset_ > 0) {
            field |= high << (64 - bit_offset_);
        }
        if (bit_size_ < 64) {
            field &= (1ull << bit_size_) - 1;
            if (type->is_signed() && (field >> (bit_size_ - 1)) != 0) {
                field |= ~0ull << bit_size_;
            }
        }
        return field;
    }
    std::uint64_t raw = 0;
    const std::size_t size = std::min<std::size_t>(b.size(), 8);
    std::memcpy(&raw, b.data(), size);
    if (size < 8 && size > 0 && type->kind != TypeKind::pointer && type->is_signed() &&
        (raw >> (size * 8 - 1)) != 0) {
        raw |= ~0ull << (size * 8);
    }
    return raw;
}

Result<std::int64_t> Value::as_signed(MemoryReader* memory) const {
    auto bits = as_bits(memory);
    if (!bits) {
        return std::unexpected(bits.error());
    }
    return static_cast<std::int64_t>(*bits);
}

Result<double> Value::as_double(MemoryReader* memory) const {
    const Type* type = resolved_type();
    if (type->kind != TypeKind::floating) {
        auto bits = as_bits(memory);
        if (!bits) {
            return std::unexpected(bits.error());
        }
        return type->is_signed() ? static_cast<double>(static_cast<std::int64_t>(*bits))
                                 : static_cast<double>(*bits);
    }
    auto contents = bytes(memory);
    if (!contents) {
        return std::unexpected(contents.error());
    }
    if (type->size == 4 && (*contents)->size() >= 4) {
        float f = 0;
        std::memcpy(&f, (*contents)->data(), 4);
        return f;
    }
    double d = 0;
    if ((*contents)->size() >= 8) {
        std::memcpy(&d, (*contents)->data(), 8);
    }
    return d;
}

} // namespace kdive::eval
