// DWARF location expressions evaluated for one frame: where (or whether) a variable lives.
#pragma once

#include "support/error.hpp"

#include <cstddef>
#include <cstdint>
#include <elfutils/libdw.h>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace kdive::debuginfo {

// One contiguous part of a value (the whole value unless DW_OP_piece split it).
struct LocationPiece {
    enum class Kind { memory, reg, implicit, optimized_out };
    Kind kind = Kind::optimized_out;
    std::uint64_t address = 0;    // memory
    unsigned reg = 0;             // reg: DWARF register number
    std::uint64_t reg_value = 0;  // reg: its value in the frame
    std::vector<std::byte> bytes; // implicit: the value itself (little-endian)
    std::uint64_t size = 0;       // bytes covered; 0 = the whole object (no DW_OP_piece)
};

struct Location {
    std::vector<LocationPiece> pieces;
    bool optimized_out() const;
    // A single memory piece covering the whole object (an lvalue GDB can take & of).
    std::optional<std::uint64_t> single_address() const;
};

// What an expression may ask of the frame it is evaluated in.
class LocationContext {
public:
    virtual ~LocationContext() = default;
    // A register of this frame by DWARF number; nullopt when the frame does not know it.
    virtual std::optional<std::uint64_t> reg(unsigned dwarf_reg) = 0;
    virtual Result<std::uint64_t> read(std::uint64_t address, std::size_t size) = 0;
    // DW_AT_frame_base of the enclosing function (for DW_OP_fbreg).
    virtual Result<std::uint64_t> frame_base() = 0;
    // The canonical frame address (DW_OP_call_frame_cfa).
    virtual Result<std::uint64_t> cfa() = 0;
    // A link-time address (DW_OP_addr) where the image really sits (KASLR).
    virtual std::uint64_t relocate(std::uint64_t address) { return address; }
};

// Evaluates `ops`. A value the frame cannot supply (entry values, unknown registers, typed
// stack operations) is optimized out rather than an error; malformed expressions fail.
Result<Location> evaluate_location(std::span<const Dwarf_Op> ops, LocationContext& context);

// A DW_AT_frame_base or CFA-style expression that must yield an address.
Result<std::uint64_t> evaluate_address(std::span<const Dwarf_Op> ops, LocationContext& context);

// The expression of a DW_AT_location (single or location list) that applies at `pc` (a file
// address); an empty span when none covers the pc (the value is optimized out there).
Result<std::span<const Dwarf_Op>> location_at(Dwarf_Attribute* attribute, std::uint64_t pc);

} // namespace kdive::debuginfo
