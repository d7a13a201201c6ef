// x86 and arm64 disassembly with capstone, for `x/i` and stop reports.
#pragma once

#include "support/error.hpp"

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace kdive::cli {

enum class CpuMode { real16, protected32, long64, aarch64 };

struct Instruction {
    std::uint64_t address = 0;
    std::size_t size = 0;
    std::string text; // "call 0xffffffff81e6b640"
};

// Decodes up to `count` instructions from `code`, which starts at `address`.
Result<std::vector<Instruction>> disassemble(std::span<const std::uint8_t> code,
                                             std::uint64_t address, CpuMode mode,
                                             std::size_t count);

} // namespace kdive::cli
