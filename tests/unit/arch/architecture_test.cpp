// The architecture tables: ELF machines, DWARF numbering, modes and per-CPU bases read from
// registers, and pointer-authentication stripping.
#include "arch/architecture.hpp"

#include <gtest/gtest.h>
#include <map>
#include <string>

namespace kdive::arch {
namespace {

RegisterLookup lookup(std::map<std::string, std::uint64_t, std::less<>> values) {
    return [values = std::move(values)](std::string_view name) -> Result<std::uint64_t> {
        auto found = values.find(name);
        if (found == values.end()) {
            return fail("no register {}", name);
        }
        return found->second;
    };
}

TEST(Architecture, FromElfMachineAndRegisterNames) {
    EXPECT_EQ(architecture_of_elf(62), &x86_64_architecture());
    EXPECT_EQ(architecture_of_elf(183), &aarch64_architecture());
    EXPECT_EQ(architecture_of_elf(40), nullptr); // 32-bit ARM
    const std::array<std::string_view, 3> arm{"x0", "sp", "pc"};
    EXPECT_EQ(architecture_of_registers(arm), &aarch64_architecture());
    const std::array<std::string_view, 2> x86{"rax", "rip"};
    EXPECT_EQ(architecture_of_registers(x86), &x86_64_architecture());
}

TEST(Architecture, DwarfNumbering) {
    const Architecture& arm = aarch64_architecture();
    EXPECT_EQ(arm.dwarf_name(29), "x29");
    EXPECT_EQ(arm.dwarf_name(arm.dwarf_sp), "sp");
    EXPECT_EQ(arm.dwarf_name(arm.dwarf_pc), "pc");
    EXPECT_EQ(arm.dwarf_number("x19"), 19u);
    EXPECT_EQ(arm.dwarf_name(40), "");
    const Architecture& x86 = x86_64_architecture();
    EXPECT_EQ(x86.dwarf_name(x86.dwarf_pc), "rip");
    EXPECT_EQ(x86.dwarf_number("rbp"), 6u);
    EXPECT_LE(arm.dwarf_names.size(), max_dwarf_registers);
}

TEST(Architecture, Arm64ModeCurrentAndPerCpuBase) {
    const Architecture& arm = aarch64_architecture();
    const std::uint64_t task = 0xffff000002a1c000ull;
    auto kernel = lookup({{"cpsr", 0x3c5}, {"SP_EL0", task}, {"TPIDR_EL1", 0xffff7dfe00000000}});
    EXPECT_EQ(cpu_mode(arm, kernel).value(), CpuMode::kernel);
    EXPECT_EQ(current_task_register(arm, kernel), task);
    EXPECT_EQ(per_cpu_base(arm, kernel).value(), 0xffff7dfe00000000ull);
    // In user mode SP_EL0 is the user's stack pointer, not a task.
    auto user = lookup({{"cpsr", 0x0}, {"SP_EL0", 0x0000ffffe0000000}, {"TPIDR_EL1", 1}});
    EXPECT_EQ(cpu_mode(arm, user).value(), CpuMode::user);
    EXPECT_EQ(current_task_register(arm, user), std::nullopt);
    // A kernel at EL2 (VHE) keeps its offset in TPIDR_EL2.
    auto vhe = lookup({{"cpsr", 0x3c9}, {"TPIDR_EL1", 0}, {"TPIDR_EL2", 0xffff7dfe10000000}});
    EXPECT_EQ(per_cpu_base(arm, vhe).value(), 0xffff7dfe10000000ull);
}

TEST(Architecture, X86GsBaseWhicheverHoldsTheKernels) {
    const Architecture& x86 = x86_64_architecture();
    auto swapped = lookup({{"cs", 0x10}, {"gs_base", 0x7f0000}, {"k_gs_base", 0xffff888000000000}});
    EXPECT_EQ(per_cpu_base(x86, swapped).value(), 0xffff888000000000ull);
    auto user = lookup({{"cs", 0x33}, {"gs_base", 0}, {"k_gs_base", 0xffff888000001000}});
    EXPECT_EQ(cpu_mode(x86, user).value(), CpuMode::user);
    EXPECT_EQ(per_cpu_base(x86, user).value(), 0xffff888000001000ull);
    EXPECT_EQ(current_task_register(x86, user), std::nullopt);
}

TEST(Architecture, PointerAuthenticationBitsAreStripped) {
    EXPECT_EQ(strip_pointer_auth(0xffa5800008123456ull), 0xffff800008123456ull);
    EXPECT_EQ(strip_pointer_auth(0x0012aaaabbbbcccc), 0x0000aaaabbbbccccull);
    EXPECT_EQ(strip_pointer_auth(0xffff800008123456ull), 0xffff800008123456ull);
}

} // namespace
} // namespace kdive::arch
