// Addresses and other numbers as the commands print them: lower-case hexadecimal with 0x.
#pragma once

#include <cstdint>
#include <fmt/format.h>
#include <string>

namespace kdive {

inline std::string hex(std::uint64_t value) {
    return fmt::format("{:#x}", value);
}

} // namespace kdive
