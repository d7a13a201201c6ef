// A source-level frame's parameters and locals as typed values, read through DWARF locations.
#pragma once

#include "debuginfo/debug_info.hpp"
#include "debuginfo/function_scope.hpp"
#include "eval/memory_reader.hpp"
#include "eval/value.hpp"
#include "support/error.hpp"

#include <cstdint>
#include <optional>
#include <string_view>

namespace kdive::eval {

// What a frame's variables are evaluated against.
struct FrameState {
    debuginfo::FunctionScope scope;
    debuginfo::FrameRegisters registers;
    // The file address that selects location-list entries and blocks: the pc in the innermost
    // frame, the return address minus one in callers (inside the call instruction).
    std::uint64_t lookup_pc = 0;
    std::uint64_t load_offset = 0; // KASLR: runtime minus link-time image addresses
};

// GDB's name of a DWARF register ("rax", ..., "rip"; "x0", ..., "pc"); empty when unknown.
std::string_view dwarf_register_gdb_name(const arch::Architecture& arch, unsigned dwarf_reg);

class FrameVariables {
public:
    FrameVariables(debuginfo::DebugInfo& info, MemoryReader* memory)
        : info_(info), memory_(memory) {}

    Result<Value> value_of(const FrameState& frame, const debuginfo::ScopeVariable& variable);
    // A parameter or local of the frame by name (innermost block first); nullopt when none.
    std::optional<Result<Value>> find(const FrameState& frame, std::string_view name);
    // DW_AT_frame_base of the frame's function ("frame at" in info frame); an error when the
    // function has none or it cannot be computed here.
    Result<std::uint64_t> frame_base(const FrameState& frame);
    // The CFA from .debug_frame at the frame's pc.
    Result<std::uint64_t> cfa(const FrameState& frame);

private:
    debuginfo::DebugInfo& info_;
    MemoryReader* memory_;
};

} // namespace kdive::eval
