// The per-architecture tables; DWARF numbers follow each psABI (System V x86-64, AAPCS64's
// DWARF supplement).
#include "arch/architecture.hpp"

#include <algorithm>
#include <array>

namespace kdive::arch {

namespace {

constexpr std::array<std::string_view, 17> x86_64_dwarf = {"rax", "rdx", "rcx", "rbx", "rsi", "rdi",
                                                           "rbp", "rsp", "r8",  "r9",  "r10", "r11",
                                                           "r12", "r13", "r14", "r15", "rip"};
constexpr std::array<std::size_t, 6> x86_64_callee_saved = {3, 6, 12, 13, 14, 15};

constexpr std::array<std::string_view, 33> aarch64_dwarf = {
    "x0",  "x1",  "x2",  "x3",  "x4",  "x5",  "x6",  "x7",  "x8",  "x9",  "x10",
    "x11", "x12", "x13", "x14", "x15", "x16", "x17", "x18", "x19", "x20", "x21",
    "x22", "x23", "x24", "x25", "x26", "x27", "x28", "x29", "x30", "sp",  "pc"};
constexpr std::array<std::size_t, 11> aarch64_callee_saved = {19, 20, 21, 22, 23, 24,
                                                              25, 26, 27, 28, 29};

constexpr std::uint16_t em_x86_64 = 62;
constexpr std::uint16_t em_aarch64 = 183;

} // namespace

std::string_view Architecture::dwarf_name(std::size_t number) const {
    return number < dwarf_names.size() ? dwarf_names[number] : std::string_view();
}

std::optional<std::size_t> Architecture::dwarf_number(std::string_view wanted) const {
    auto found = std::find(dwarf_names.begin(), dwarf_names.end(), wanted);
    if (found == dwarf_names.end()) {
        return std::nullopt;
    }
    return static_cast<std::size_t>(found - dwarf_names.begin());
}

const Architecture& x86_64_architecture() {
    static const Architecture arch{
        .machine = Machine::x86_64,
        .name = "x86-64",
        .gdb_name = "i386:x86-64",
        .pc = "rip",
        .sp = "rsp",
        .fp = "rbp",
        .link = "",
        .return_value = "rax",
        .return_value_high = "rdx",
        .returns_memory_address = true,
        .code_breakpoint_kind = 1,
        .instruction_alignment = 1,
        .dwarf_names = x86_64_dwarf,
        .dwarf_pc = 16,
        .dwarf_sp = 7,
        .dwarf_fp = 6,
        .callee_saved = x86_64_callee_saved,
    };
    return arch;
}

const Architecture& aarch64_architecture() {
    static const Architecture arch{
        .machine = Machine::aarch64,
        .name = "arm64",
        .gdb_name = "aarch64",
        .pc = "pc",
        .sp = "sp",
        .fp = "x29",
        .link = "x30",
        .return_value = "x0",
        .return_value_high = "x1",
        .returns_memory_address = false,
        .code_breakpoint_kind = 4,
        .instruction_alignment = 4,
        .dwarf_names = aarch64_dwarf,
        .dwarf_pc = 32,
        .dwarf_sp = 31,
        .dwarf_fp = 29,
        .callee_saved = aarch64_callee_saved,
    };
    return arch;
}

const Architecture* architecture_of_elf(std::uint16_t e_machine) {
    switch (e_machine) {
    case em_x86_64:
        return &x86_64_architecture();
    case em_aarch64:
        return &aarch64_architecture();
    default:
        return nullptr;
    }
}

const Architecture* architecture_of_registers(std::span<const std::string_view> names) {
    auto has = [&](std::string_view name) {
        return std::find(names.begin(), names.end(), name) != names.end();
    };
    if (has("rip")) {
        return &x86_64_architecture();
    }
    if (has("pc") && has("x0")) {
        return &aarch64_architecture();
    }
    return nullptr;
}

const Architecture& architecture_of(const target::Target& target) {
    bool pc = false;
    bool x0 = false;
    for (const auto& reg : target.registers()) {
        if (reg.name == "rip") {
            return x86_64_architecture();
        }
        pc = pc || reg.name == "pc";
        x0 = x0 || reg.name == "x0";
    }
    return pc && x0 ? aarch64_architecture() : x86_64_architecture();
}

Result<CpuMode> cpu_mode(const Architecture& arch, const RegisterLookup& registers) {
    if (arch.machine == Machine::aarch64) {
        // PSTATE.M[3:2] is the exception level; EL0 is user space.
        auto cpsr = registers("cpsr");
        if (!cpsr) {
            return std::unexpected(cpsr.error());
        }
        return ((*cpsr >> 2) & 3) == 0 ? CpuMode::user : CpuMode::kernel;
    }
    auto cs = registers("cs");
    if (!cs) {
        return std::unexpected(cs.error());
    }
    return (*cs & 3) == 3 ? CpuMode::user : CpuMode::kernel;
}

Result<std::uint64_t> per_cpu_base(const Architecture& arch, const RegisterLookup& registers) {
    if (arch.machine == Machine::aarch64) {
        // A kernel running at EL2 (VHE) keeps the offset in TPIDR_EL2; which one it uses is a
        // boot-time choice, so take whichever holds a kernel address.
        auto el1 = registers("TPIDR_EL1");
        if (el1 && *el1 != 0) {
            return *el1;
        }
        if (auto el2 = registers("TPIDR_EL2"); el2 && *el2 != 0) {
            return *el2;
        }
        return el1;
    }
    auto mode = cpu_mode(arch, registers);
    if (!mode) {
        return std::unexpected(mode.error());
    }
    // Between an entry from user mode and its swapgs (and the exit's swapgs and sysret) the CPU
    // runs kernel code on the user's GS: the kernel's base is then the one swapped out. A
    // per-CPU base is always a kernel address.
    const bool kernel_mode = *mode == CpuMode::kernel;
    auto base = registers(kernel_mode ? "gs_base" : "k_gs_base");
    if (base && !is_kernel_address(*base)) {
        if (auto other = registers(kernel_mode ? "k_gs_base" : "gs_base");
            other && is_kernel_address(*other)) {
            return *other;
        }
    }
    return base;
}

std::optional<std::uint64_t> current_task_register(const Architecture& arch,
                                                   const RegisterLookup& registers) {
    if (arch.machine != Machine::aarch64) {
        return std::nullopt;
    }
    auto mode = cpu_mode(arch, registers);
    if (!mode || *mode != CpuMode::kernel) {
        return std::nullopt;
    }
    // From kernel_entry's first instructions on SP_EL0 holds `current`; before them (the
    // first instructions of an exception from EL0) it is still the user stack pointer.
    auto task = registers("SP_EL0");
    if (!task || !is_kernel_address(*task)) {
        return std::nullopt;
    }
    return *task;
}

} // namespace kdive::arch
