// Little-endian fields out of a structure read whole: one read, many fields.
#pragma once

#include "kernel/struct_layout.hpp"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <vector>

namespace kdive::kernel {

class Record {
public:
    Record() = default;
    explicit Record(std::vector<std::byte> bytes, std::uint64_t address = 0)
        : bytes_(std::move(bytes)), address_(address) {}

    std::uint64_t address() const { return address_; }
    std::size_t size() const { return bytes_.size(); }
    std::span<const std::byte> bytes() const { return bytes_; }

    // Unsigned little-endian integer of `size` bytes at `offset`; 0 past the end.
    std::uint64_t uint(std::uint64_t offset, std::size_t size) const {
        if (offset + size > bytes_.size() || size > 8) {
            return 0;
        }
        std::uint64_t value = 0;
        for (std::size_t i = 0; i < size; ++i) {
            value |= std::to_integer<std::uint64_t>(bytes_[offset + i]) << (8 * i);
        }
        return value;
    }
    std::uint64_t u64(std::uint64_t offset) const { return uint(offset, 8); }
    std::uint32_t u32(std::uint64_t offset) const {
        return static_cast<std::uint32_t>(uint(offset, 4));
    }
    std::uint16_t u16(std::uint64_t offset) const {
        return static_cast<std::uint16_t>(uint(offset, 2));
    }
    std::uint8_t u8(std::uint64_t offset) const {
        return static_cast<std::uint8_t>(uint(offset, 1));
    }

    // A field as laid out by the debug info: integers of any width, bitfields extracted.
    std::uint64_t get(const Field& field) const {
        const std::uint64_t raw = uint(field.offset, std::min<std::uint64_t>(field.size, 8));
        if (field.bit_size == 0) {
            return raw;
        }
        const std::uint64_t shifted = raw >> field.bit_offset;
        return field.bit_size >= 64 ? shifted
                                    : shifted & ((std::uint64_t{1} << field.bit_size) - 1);
    }
    // A NUL-terminated string stored inline (comm, module names), at most `max` bytes.
    std::string c_string(std::uint64_t offset, std::size_t max) const {
        std::string out;
        for (std::size_t i = 0; i < max && offset + i < bytes_.size(); ++i) {
            const char c = static_cast<char>(bytes_[offset + i]);
            if (c == '\0') {
                break;
            }
            out.push_back(c);
        }
        return out;
    }

private:
    std::vector<std::byte> bytes_;
    std::uint64_t address_ = 0;
};

} // namespace kdive::kernel
