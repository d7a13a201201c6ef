// libFuzzer target: DWARF units and abbreviation tables from a hostile vmlinux. Input layout:
// two little-endian bytes giving the .debug_abbrev size, then .debug_abbrev, then .debug_str
// of the same size rule (two bytes, bytes), and the rest is .debug_info.
#include "debuginfo/die_scanner.hpp"

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

using namespace kdive::debuginfo;

namespace {

std::span<const std::uint8_t> take(std::span<const std::uint8_t>& input) {
    if (input.size() < 2) {
        input = {};
        return {};
    }
    const std::size_t size = std::min<std::size_t>(input[0] | input[1] << 8, input.size() - 2);
    auto part = input.subspan(2, size);
    input = input.subspan(2 + size);
    return part;
}

bool every_tag(unsigned) {
    return true;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::span<const std::uint8_t> input(data, size);
    DwarfSections sections;
    sections.abbrev = take(input);
    sections.str = take(input);
    sections.str_offsets = sections.str;
    sections.info = input;
    auto units = read_unit_headers(sections.info);
    if (!units) {
        return 0;
    }
    DieScanner scanner(sections, *units, every_tag);
    std::vector<ScannedDie> dies;
    for (const auto& unit : *units) {
        if (scanner.scan(unit, dies)) {
            for (const auto& die : dies) {
                // Every reported name must be readable up to its NUL.
                volatile std::size_t length = die.name != nullptr ? __builtin_strlen(die.name) : 0;
                (void)length;
            }
        }
    }
    return 0;
}
