// GDB's `x/NFU`: the format spec and the text it prints for target memory.
#pragma once

#include "cli/disassembler.hpp"
#include "support/error.hpp"
#include "target/target.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace kdive::cli {

struct ExamineFormat {
    std::size_t count = 1;
    char format = 'x';    // x d u s i
    std::size_t unit = 4; // b=1 h=2 w=4 g=8
};

// Parses the part after "x" ("/4gx", "/i", "" ...).
Result<ExamineFormat> parse_examine_format(std::string_view spec);

// Reads memory at `address` and renders it as GDB would.
Result<std::string> examine(target::Target& target, std::uint64_t address,
                            const ExamineFormat& format, CpuMode mode);

// The execution mode of the selected vCPU, from cr0 and efer.
CpuMode cpu_mode(target::Target& target);

} // namespace kdive::cli
