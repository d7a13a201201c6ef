// The function, inlined calls and lexical blocks around a code address, with their variables.
#pragma once

#include "arch/architecture.hpp"
#include "support/error.hpp"

#include <array>
#include <cstdint>
#include <elfutils/libdw.h>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace kdive::debuginfo {

// A frame's registers by DWARF x86-64 number (16 = rip); nullopt where unknown.
using FrameRegisters = std::array<std::optional<std::uint64_t>, arch::max_dwarf_registers>;

struct ScopeVariable {
    std::string name;
    std::uint64_t die_offset = 0;  // the concrete DIE, which holds the location
    std::uint64_t type_offset = 0; // its type's DIE (0: none)
    bool parameter = false;
};

// One source-level frame: the real function or an inlined call inside it.
struct FunctionScope {
    std::string name;
    bool inlined = false;
    std::uint64_t die_offset = 0;          // DW_TAG_subprogram or DW_TAG_inlined_subroutine
    std::uint64_t function_die_offset = 0; // the real subprogram around it (its frame base)
    std::uint64_t low_pc = 0;              // the lowest address of its code
    std::uint64_t entry_pc = 0;            // where its code begins (the first range's start)
    std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges; // [start, end)
    // For an inlined call: where its caller called it (the caller's current line).
    std::string call_file;
    int call_line = 0;
    std::vector<ScopeVariable> parameters;
    // Locals of the blocks that contain the pc, innermost block first (GDB's order).
    std::vector<ScopeVariable> locals;

    bool contains(std::uint64_t pc) const;
};

// The scopes at a file address, innermost (deepest inlined call) first, the real function
// last; empty when no DWARF function covers the address.
Result<std::vector<FunctionScope>> function_scopes_at(Dwarf* dwarf, std::uint64_t pc);

// How many of the innermost scopes are inlined calls whose code begins (or resumes) at pc. GDB
// shows such a stop at the call site in the caller (the inlined frames are "skipped") until a
// step enters them.
std::size_t inlined_calls_entered_at(const std::vector<FunctionScope>& scopes, std::uint64_t pc);

// The DIE at a global .debug_info offset.
Result<Dwarf_Die> die_at(Dwarf* dwarf, std::uint64_t offset);

// The canonical frame address at `pc` from .debug_frame, given the frame's registers.
Result<std::uint64_t> call_frame_cfa(Dwarf* dwarf, std::uint64_t pc,
                                     const FrameRegisters& registers);

} // namespace kdive::debuginfo
