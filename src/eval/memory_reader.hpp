// Where values' bytes and registers come from: a live target, a core file or the ELF file.
#pragma once

#include "support/error.hpp"

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace kdive::eval {

struct ReadRange {
    std::uint64_t address = 0;
    std::size_t length = 0;
};

class MemoryReader {
public:
    virtual ~MemoryReader() = default;
    // All bytes or an error naming the first unreadable address.
    virtual Result<std::vector<std::byte>> read(std::uint64_t address, std::size_t length) = 0;
    // Several reads at once, in order; a backend that can share round trips overrides it.
    virtual Result<std::vector<std::vector<std::byte>>>
    read_many(std::span<const ReadRange> ranges) {
        std::vector<std::vector<std::byte>> out;
        out.reserve(ranges.size());
        for (const auto& range : ranges) {
            auto bytes = read(range.address, range.length);
            if (!bytes) {
                return std::unexpected(bytes.error());
            }
            out.push_back(std::move(*bytes));
        }
        return out;
    }
    virtual Result<> write(std::uint64_t address, std::span<const std::byte> bytes) = 0;
};

class RegisterReader {
public:
    virtual ~RegisterReader() = default;
    // Register by GDB name without the '$' ("rip", "rsp", "eflags"); an error when unknown.
    virtual Result<std::uint64_t> read_register(std::string_view name) = 0;
    virtual Result<> write_register(std::string_view name, std::uint64_t value) = 0;
};

} // namespace kdive::eval
