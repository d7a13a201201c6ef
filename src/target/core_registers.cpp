// NT_PRSTATUS's pr_reg is the machine's user register set; on x86-64 QEMU adds a CPU-state note
// with what pt_regs lack (segment bases, control registers). QEMU's arm64 dumps carry general
// registers only: the translation registers come from VMCOREINFO instead.
#include "target/core_registers.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <fmt/format.h>

namespace kdive::target {

namespace {

// struct elf_prstatus on both machines: pr_reg starts at 112, after signal, pid and times.
constexpr std::size_t prstatus_regs_offset = 112;

// x86-64's pr_reg is user_regs_struct: 27 registers ("" is orig_rax).
constexpr std::array<std::string_view, 27> x86_64_prstatus_regs = {
    "r15",    "r14", "r13", "r12",     "rbp",     "rbx", "r11", "r10", "r9",
    "r8",     "rax", "rcx", "rdx",     "rsi",     "rdi", "",    "rip", "cs",
    "eflags", "rsp", "ss",  "fs_base", "gs_base", "ds",  "es",  "fs",  "gs"};

// arm64's pr_reg is user_pt_regs: x0-x30, sp, pc, pstate (34 registers), then pr_fpvalid.
constexpr std::size_t aarch64_prstatus_size = 392;
constexpr std::size_t aarch64_prstatus_regs = 34;
constexpr std::size_t aarch64_sp = 31, aarch64_pc = 32, aarch64_pstate = 33;

// QEMU's QEMUCPUState (target/i386/arch_dump.c): version, size, 18 general registers, ten
// segments {selector, limit, flags, pad: u32; base: u64}, cr0-cr4, kernel_gs_base.
constexpr std::array<std::string_view, 18> qemu_general = {
    "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rsp", "rbp", "r8",
    "r9",  "r10", "r11", "r12", "r13", "r14", "r15", "rip", "eflags"};
constexpr std::array<std::string_view, 6> qemu_segments = {"cs", "ds", "es", "fs", "gs", "ss"};
constexpr std::size_t qemu_segment_size = 24;
constexpr std::size_t qemu_segments_offset = 8 + 18 * 8;
constexpr std::size_t qemu_cr_offset = qemu_segments_offset + 10 * qemu_segment_size;
constexpr std::size_t qemu_cr_count = 5;
constexpr std::size_t qemu_state_size = qemu_cr_offset + qemu_cr_count * 8 + 8;

std::uint64_t load_u64(const std::vector<std::uint8_t>& bytes, std::size_t at) {
    std::uint64_t value = 0;
    std::memcpy(&value, bytes.data() + at, sizeof value);
    return value;
}

std::uint32_t load_u32(const std::vector<std::uint8_t>& bytes, std::size_t at) {
    std::uint32_t value = 0;
    std::memcpy(&value, bytes.data() + at, sizeof value);
    return value;
}

bool is_prstatus(const CoreNote& note) {
    return note.type == nt_prstatus && note.name == "CORE";
}

CoreRegisterValues x86_64_prstatus_values(const CoreNote& note) {
    CoreRegisterValues values;
    if (note.desc.size() < prstatus_regs_offset + x86_64_prstatus_regs.size() * 8) {
        return values;
    }
    for (std::size_t i = 0; i < x86_64_prstatus_regs.size(); ++i) {
        if (!x86_64_prstatus_regs[i].empty()) {
            values.emplace(x86_64_prstatus_regs[i],
                           load_u64(note.desc, prstatus_regs_offset + 8 * i));
        }
    }
    // The kernel fills pr_reg from pt_regs, which have no segment bases: zero means unknown.
    for (std::string_view base : {"fs_base", "gs_base"}) {
        if (auto found = values.find(base); found != values.end() && found->second == 0) {
            values.erase(found);
        }
    }
    return values;
}

CoreRegisterValues aarch64_prstatus_values(const CoreNote& note) {
    CoreRegisterValues values;
    if (note.desc.size() < prstatus_regs_offset + aarch64_prstatus_regs * 8) {
        return values;
    }
    for (std::size_t i = 0; i < aarch64_sp; ++i) {
        values.emplace(fmt::format("x{}", i), load_u64(note.desc, prstatus_regs_offset + 8 * i));
    }
    values.emplace("sp", load_u64(note.desc, prstatus_regs_offset + 8 * aarch64_sp));
    values.emplace("pc", load_u64(note.desc, prstatus_regs_offset + 8 * aarch64_pc));
    // pstate: QEMU's stub serves its low 32 bits as cpsr (EL in bits 3:2).
    values.emplace("cpsr",
                   load_u64(note.desc, prstatus_regs_offset + 8 * aarch64_pstate) & 0xffffffffu);
    return values;
}

CoreRegisterValues qemu_values(const CoreNote& note) {
    CoreRegisterValues values;
    if (note.desc.size() < qemu_state_size) {
        return values;
    }
    for (std::size_t i = 0; i < qemu_general.size(); ++i) {
        values.emplace(qemu_general[i], load_u64(note.desc, 8 + 8 * i));
    }
    for (std::size_t i = 0; i < qemu_segments.size(); ++i) {
        const std::size_t at = qemu_segments_offset + i * qemu_segment_size;
        values.emplace(qemu_segments[i], load_u32(note.desc, at));
        if (qemu_segments[i] == "fs" || qemu_segments[i] == "gs") {
            values.emplace(std::string(qemu_segments[i]) + "_base", load_u64(note.desc, at + 16));
        }
    }
    for (int cr : {0, 2, 3, 4}) {
        values.emplace(fmt::format("cr{}", cr),
                       load_u64(note.desc, qemu_cr_offset + 8 * static_cast<std::size_t>(cr)));
    }
    values.emplace("k_gs_base", load_u64(note.desc, qemu_cr_offset + qemu_cr_count * 8));
    return values;
}

// QEMU's x86-64 CPU-state notes first (they hold what pt_regs lack), NT_PRSTATUS for the rest.
std::vector<CoreRegisterValues> x86_64_cpus(std::span<const CoreNote> notes) {
    std::vector<CoreRegisterValues> prstatus;
    std::vector<CoreRegisterValues> qemu;
    for (const auto& note : notes) {
        if (is_prstatus(note)) {
            prstatus.push_back(x86_64_prstatus_values(note));
        } else if (note.type == 0 && note.name == "QEMU") {
            qemu.push_back(qemu_values(note));
        }
    }
    std::vector<CoreRegisterValues> cpus(std::max(prstatus.size(), qemu.size()));
    for (std::size_t i = 0; i < cpus.size(); ++i) {
        if (i < qemu.size()) {
            cpus[i] = qemu[i];
        }
        if (i < prstatus.size()) {
            cpus[i].insert(prstatus[i].begin(), prstatus[i].end()); // only what QEMU's lacks
        }
    }
    return cpus;
}

std::vector<CoreRegisterValues> aarch64_cpus(std::span<const CoreNote> notes) {
    std::vector<CoreRegisterValues> cpus;
    for (const auto& note : notes) {
        if (is_prstatus(note)) {
            cpus.push_back(aarch64_prstatus_values(note));
        }
    }
    return cpus;
}

std::vector<RegisterDescription> x86_64_descriptions() {
    std::vector<RegisterDescription> out;
    for (std::string_view name : {"rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp", "r8",
                                  "r9", "r10", "r11", "r12", "r13", "r14", "r15"}) {
        out.push_back(
            {std::string(name), 64, name == "rbp" || name == "rsp" ? "data_ptr" : "int64"});
    }
    out.push_back({"rip", 64, "code_ptr"});
    out.push_back({"eflags", 32, "i386_eflags"});
    for (std::string_view name : {"cs", "ss", "ds", "es", "fs", "gs"}) {
        out.push_back({std::string(name), 32, "int32"});
    }
    for (std::string_view name : {"fs_base", "gs_base", "k_gs_base", "cr0", "cr2", "cr3", "cr4"}) {
        out.push_back({std::string(name), 64, "int64"});
    }
    return out;
}

// As QEMU's aarch64-core.xml describes them.
std::vector<RegisterDescription> aarch64_descriptions() {
    std::vector<RegisterDescription> out;
    out.reserve(aarch64_prstatus_regs);
    for (std::size_t i = 0; i < aarch64_sp; ++i) {
        out.push_back({fmt::format("x{}", i), 64, "int"});
    }
    out.push_back({"sp", 64, "data_ptr"});
    out.push_back({"pc", 64, "code_ptr"});
    out.push_back({"cpsr", 32, "cpsr_flags"});
    return out;
}

} // namespace

Result<std::uint16_t> core_machine(std::uint16_t declared, std::span<const CoreNote> notes) {
    if (declared == em_x86_64 || declared == em_aarch64) {
        return declared;
    }
    if (declared != 0) {
        return fail_as(ErrorKind::unsupported,
                       "a dump of ELF machine {} (kdive reads x86-64's and arm64's)", declared);
    }
    auto prstatus = std::ranges::find_if(notes, is_prstatus);
    if (prstatus != notes.end() && prstatus->desc.size() == aarch64_prstatus_size) {
        return em_aarch64;
    }
    return em_x86_64;
}

Result<CoreRegisters> core_registers(std::uint16_t machine, std::span<const CoreNote> notes) {
    CoreRegisters out;
    out.machine = machine;
    out.cpus = machine == em_aarch64 ? aarch64_cpus(notes) : x86_64_cpus(notes);
    // A note too short for its machine's registers keeps its CPU's place with no registers.
    if (out.cpus.empty()) {
        return fail_as(ErrorKind::corrupt, "no CPU registers (no {} NT_PRSTATUS note{})",
                       core_machine_name(machine),
                       machine == em_aarch64 ? "" : " or QEMU CPU-state note");
    }
    return out;
}

const std::vector<RegisterDescription>& core_register_descriptions(std::uint16_t machine) {
    static const std::vector<RegisterDescription> x86_64 = x86_64_descriptions();
    static const std::vector<RegisterDescription> aarch64 = aarch64_descriptions();
    return machine == em_aarch64 ? aarch64 : x86_64;
}

std::string_view core_machine_name(std::uint16_t machine) {
    return machine == em_aarch64 ? "arm64" : "x86-64";
}

} // namespace kdive::target
