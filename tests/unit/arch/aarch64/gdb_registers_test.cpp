// kdive's arm64 GDB target description read back by kdive's own description reader, against
// what QEMU 7.2's aarch64 stub serves: the core and FP/SIMD registers at QEMU's regnums and `g`
// offsets, the system registers under QEMU's names, and the pointer-authentication mask.
#include "arch/aarch64/gdb_registers.hpp"
#include "rsp/target_description.hpp"
#include "unit_data.hpp"

#include <gtest/gtest.h>

namespace kdive::arch::aarch64 {
namespace {

Result<rsp::RegisterMap> qemus_description() {
    return rsp::load_target_description([](const std::string& annex) -> Result<std::string> {
        std::string text = testing::read_unit_data("arch", "qemu72_aarch64_" + annex);
        if (text.empty()) {
            return fail("no annex {}", annex);
        }
        return text;
    });
}

Result<rsp::RegisterMap> our_description() {
    return rsp::load_target_description([](const std::string& annex) -> Result<std::string> {
        if (annex == "target.xml") {
            return gdb_target_xml();
        }
        return fail("no annex {}", annex);
    });
}

TEST(Aarch64GdbRegisters, CoreAndFpuMatchQemusLayout) {
    auto ours = our_description();
    ASSERT_TRUE(ours) << ours.error().message;
    auto qemu = qemus_description();
    ASSERT_TRUE(qemu) << qemu.error().message;
    EXPECT_EQ(ours->architecture, "aarch64");
    ASSERT_EQ(ours->registers.size(), gdb_registers().size());
    // QEMU's core (x0-x30, sp, pc, cpsr) and FP/SIMD (v0-v31, fpsr, fpcr) features: 68.
    for (std::size_t i = 0; i < 68; ++i) {
        EXPECT_EQ(ours->registers[i].name, qemu->registers[i].name) << i;
        EXPECT_EQ(ours->registers[i].regnum, qemu->registers[i].regnum) << i;
        EXPECT_EQ(ours->registers[i].bitsize, qemu->registers[i].bitsize) << i;
        EXPECT_EQ(ours->registers[i].offset, qemu->registers[i].offset) << i;
        EXPECT_EQ(ours->registers[i].feature, qemu->registers[i].feature) << i;
    }
    for (std::size_t i = 0; i < ours->registers.size(); ++i) {
        EXPECT_EQ(ours->registers[i].name, gdb_registers()[i].name) << i;
        EXPECT_EQ(ours->registers[i].regnum, static_cast<int>(i)) << i;
    }
    EXPECT_EQ(gdb_register_number("x0"), 0u);
    EXPECT_EQ(gdb_register_number("sp"), 31u);
    EXPECT_EQ(gdb_register_number("pc"), 32u);
    EXPECT_EQ(gdb_register_number("cpsr"), 33u);
    EXPECT_EQ(ours->find("cpsr")->bitsize, 32);
    EXPECT_EQ(gdb_register_number("nonesuch"), gdb_registers().size());
    EXPECT_NE(gdb_target_xml().find("<osabi>none</osabi>"), std::string::npos);
}

TEST(Aarch64GdbRegisters, SystemRegistersAreTheOnesQemuNames) {
    auto qemu = qemus_description();
    ASSERT_TRUE(qemu) << qemu.error().message;
    std::size_t system = 0;
    for (const auto& r : gdb_registers()) {
        if (r.feature != "org.qemu.gdb.arm.sys.regs") {
            continue;
        }
        ++system;
        const rsp::RegisterInfo* theirs = qemu->find(r.name);
        ASSERT_NE(theirs, nullptr) << r.name << " is not a register QEMU's stub has";
        EXPECT_EQ(theirs->bitsize, r.bitsize) << r.name;
    }
    EXPECT_GE(system, 7u);
    for (std::string_view name :
         {"SP_EL0", "TPIDR_EL1", "TTBR0_EL1", "TTBR1_EL1", "TCR_EL1", "SCTLR", "VBAR"}) {
        EXPECT_LT(gdb_register_number(name), gdb_registers().size()) << name;
    }
    // GDB strips signed return addresses with these; QEMU 7.2 has no such registers.
    EXPECT_LT(gdb_register_number("pauth_cmask"), gdb_registers().size());
    EXPECT_LT(gdb_register_number("pauth_dmask"), gdb_registers().size());
    EXPECT_EQ(qemu->find("pauth_cmask"), nullptr);
}

TEST(Aarch64GdbRegisters, PointerAuthMaskIsAboveTheKernelsAddressBits) {
    // T1SZ = 16 (48-bit kernel addresses, Debian's kernels), T0SZ likewise.
    EXPECT_EQ(pointer_auth_mask((std::uint64_t{16} << 16) | 16), 0xffff000000000000ull);
    EXPECT_EQ(pointer_auth_mask(std::uint64_t{25} << 16), 0xffffff8000000000ull); // 39 bits
    EXPECT_EQ(pointer_auth_mask(std::uint64_t{12} << 16), 0xfff0000000000000ull); // 52 bits
    EXPECT_EQ(pointer_auth_mask(0), 0u); // the MMU not set up: nothing is signed yet
    EXPECT_EQ(kernel_address_bits((std::uint64_t{16} << 16) | 16), 48u);
    EXPECT_EQ(kernel_address_bits(0), 0u);
}

TEST(GdbRegisters, ChosenByArchitecture) {
    EXPECT_EQ(arch::gdb_registers(aarch64_architecture()).data(), gdb_registers().data());
    EXPECT_EQ(arch::gdb_registers(x86_64_architecture())[16].name, "rip");
    EXPECT_EQ(arch::gdb_register_number(aarch64_architecture(), "pc"), 32u);
    EXPECT_EQ(arch::gdb_register_number(x86_64_architecture(), "rip"), 16u);
    EXPECT_EQ(arch::gdb_target_xml(aarch64_architecture()), gdb_target_xml());
    EXPECT_NE(arch::gdb_target_xml(x86_64_architecture()).find("i386:x86-64"), std::string::npos);
    EXPECT_EQ(arch::gdb_host_triple(aarch64_architecture()), "aarch64-unknown-linux-gnu");
    EXPECT_EQ(arch::gdb_host_triple(x86_64_architecture()), "x86_64-unknown-linux-gnu");
}

} // namespace
} // namespace kdive::arch::aarch64
