// ELF notes as a core file lays them out, for tests that build dumps byte by byte.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace kdive::testing {

// Appends one note: namesz, descsz, type, the NUL-terminated name and the desc, each padded to
// four bytes.
inline void put_note(std::vector<std::uint8_t>& out, std::string_view name, std::uint32_t type,
                     const std::vector<std::uint8_t>& desc) {
    const std::uint32_t header[3] = {static_cast<std::uint32_t>(name.size() + 1),
                                     static_cast<std::uint32_t>(desc.size()), type};
    const auto* raw = reinterpret_cast<const std::uint8_t*>(header);
    out.insert(out.end(), raw, raw + sizeof header);
    out.insert(out.end(), name.begin(), name.end());
    out.push_back(0);
    out.resize((out.size() + 3) & ~std::size_t{3});
    out.insert(out.end(), desc.begin(), desc.end());
    out.resize((out.size() + 3) & ~std::size_t{3});
}

} // namespace kdive::testing
