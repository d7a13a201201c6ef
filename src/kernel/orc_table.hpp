// ORC entries and one sorted ORC table (vmlinux's or a module's): decoding and ip lookup.
#pragma once

#include "support/error.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace kdive::kernel {

// ORC_REG_* of arch/x86/include/asm/orc_types.h (unchanged since ORC appeared in 4.14).
enum class OrcRegister : std::uint8_t {
    undefined = 0,
    prev_sp = 1,
    dx = 2,
    di = 3,
    bp = 4,
    sp = 5,
    r10 = 6,
    r13 = 7,
    bp_indirect = 8,
    sp_indirect = 9,
};

// Entry kinds, the same for both bitfield layouts (see OrcFormat).
enum class OrcType : std::uint8_t { undefined, end_of_stack, call, regs, regs_partial };

struct OrcEntry {
    std::int16_t sp_offset = 0;
    std::int16_t bp_offset = 0;
    std::uint8_t sp_reg = 0; // OrcRegister value (kept raw: unknown values must be reported)
    std::uint8_t bp_reg = 0;
    OrcType type = OrcType::undefined;
    std::uint8_t raw_type = 0; // as stored, for messages
    // The caller's pc is exact (an interrupted instruction), not a return address.
    bool signal = false;
};

// The bit pair after the offsets: `sp_reg:4 bp_reg:4 type:2 end:1` until 6.2; since 6.3
// (commit "x86/unwind/orc: Add 'signal' field to ORC metadata") `type:3 signal:1` with
// UNDEFINED and END_OF_STACK as types of their own.
enum class OrcFormat { end_bit, signal_bit };

inline constexpr std::size_t orc_entry_size = 6;

OrcEntry decode_orc_entry(std::span<const std::byte, orc_entry_size> bytes, OrcFormat format);

// Guesses the layout from the entries when the debug info does not describe struct orc_entry:
// in the old layout type 3 never occurs and CALL (0) dominates; in the new one CALL is 2.
OrcFormat guess_orc_format(std::span<const std::byte> entries);

// Raw 4-bit register numbers → OrcRegister values. The classic numbering (4.14 on) is the
// identity; the 7.x tables use another one (SP 3, PREV_SP 8, BP_INDIRECT 10) that no debug
// info describes (ORC_REG_* are macros), so it is recognised from the entries themselves.
using OrcRegisterMap = std::array<std::uint8_t, 16>;
inline constexpr std::uint8_t orc_register_unknown = 15;
OrcRegisterMap classic_orc_registers();
// Function entries hold "CFA = SP + 8" far more often than anything else: the register they
// name is SP, which tells the numbering apart.
OrcRegisterMap detect_orc_registers(std::span<const std::byte> entries, OrcFormat format);

class OrcTable {
public:
    OrcTable() = default;
    // `ip_bytes` holds s32 offsets relative to each slot's own address (the first slot at
    // `ip_table_address`); `entry_bytes` the matching entries. Sorted here if needed, weak
    // section terminators before real entries at the same ip, as the kernel sorts them.
    static Result<OrcTable> build(std::span<const std::byte> ip_bytes,
                                  std::uint64_t ip_table_address,
                                  std::span<const std::byte> entry_bytes, OrcFormat format,
                                  const OrcRegisterMap& registers = classic_orc_registers());

    // The entry covering `ip` (the last one starting at or below it); nullopt below the first.
    std::optional<OrcEntry> find(std::uint64_t ip) const;
    std::size_t size() const { return ips_.size(); }
    std::uint64_t first_ip() const { return ips_.empty() ? 0 : ips_.front(); }

private:
    std::vector<std::uint64_t> ips_;
    std::vector<OrcEntry> entries_;
};

} // namespace kdive::kernel
