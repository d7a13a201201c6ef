// Each CPU's registers as a dump's notes hold them, named as QEMU's gdbstub names them for the
// dump's machine: x86-64 from QEMU's CPU-state notes and NT_PRSTATUS, arm64 from NT_PRSTATUS.
#pragma once

#include "support/error.hpp"
#include "target/core_file.hpp"
#include "target/target.hpp"

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

namespace kdive::target {

// ELF e_machine values of the machines whose dumps kdive reads.
inline constexpr std::uint16_t em_x86_64 = 62;
inline constexpr std::uint16_t em_aarch64 = 183;

using CoreRegisterValues = std::map<std::string, std::uint64_t, std::less<>>;

struct CoreRegisters {
    std::uint16_t machine = em_x86_64;
    std::vector<CoreRegisterValues> cpus; // one per CPU, in the order the dumper wrote them
};

// The machine a dump is of: `declared` (the ELF header's e_machine, the kdump header's uname
// machine) when it says, else what the size of NT_PRSTATUS tells (x86-64 when nothing does).
// A machine kdive cannot read is an error naming it.
Result<std::uint16_t> core_machine(std::uint16_t declared, std::span<const CoreNote> notes);

// Every CPU's registers; fails when the notes hold none (no NT_PRSTATUS or QEMU CPU-state
// note of the size `machine` writes).
Result<CoreRegisters> core_registers(std::uint16_t machine, std::span<const CoreNote> notes);

// The registers a dump of `machine` can hold, by the gdbstub's names and sizes.
const std::vector<RegisterDescription>& core_register_descriptions(std::uint16_t machine);

// "x86-64" or "arm64".
std::string_view core_machine_name(std::uint16_t machine);

} // namespace kdive::target
