// GDB accepts an aarch64 description only when its core feature names x0-x30, sp, pc and cpsr
// and, if present, its FP feature v0-v31, fpsr and fpcr; with the pauth feature it strips the
// authentication codes of signed return addresses (a kernel built with pointer authentication
// signs them) while unwinding. The system registers GDB does not know are shown under their own
// names.
#include "arch/aarch64/gdb_registers.hpp"

#include <array>

namespace kdive::arch::aarch64 {

namespace {

constexpr std::string_view core = "org.gnu.gdb.aarch64.core";
constexpr std::string_view fpu = "org.gnu.gdb.aarch64.fpu";
constexpr std::string_view pauth = "org.gnu.gdb.aarch64.pauth";
constexpr std::string_view system = "org.qemu.gdb.arm.sys.regs";

constexpr std::array<GdbRegister, 86> registers{{
    {"x0", 64, "int64", core},
    {"x1", 64, "int64", core},
    {"x2", 64, "int64", core},
    {"x3", 64, "int64", core},
    {"x4", 64, "int64", core},
    {"x5", 64, "int64", core},
    {"x6", 64, "int64", core},
    {"x7", 64, "int64", core},
    {"x8", 64, "int64", core},
    {"x9", 64, "int64", core},
    {"x10", 64, "int64", core},
    {"x11", 64, "int64", core},
    {"x12", 64, "int64", core},
    {"x13", 64, "int64", core},
    {"x14", 64, "int64", core},
    {"x15", 64, "int64", core},
    {"x16", 64, "int64", core},
    {"x17", 64, "int64", core},
    {"x18", 64, "int64", core},
    {"x19", 64, "int64", core},
    {"x20", 64, "int64", core},
    {"x21", 64, "int64", core},
    {"x22", 64, "int64", core},
    {"x23", 64, "int64", core},
    {"x24", 64, "int64", core},
    {"x25", 64, "int64", core},
    {"x26", 64, "int64", core},
    {"x27", 64, "int64", core},
    {"x28", 64, "int64", core},
    {"x29", 64, "int64", core},
    {"x30", 64, "int64", core},
    {"sp", 64, "data_ptr", core},
    {"pc", 64, "code_ptr", core},
    {"cpsr", 32, "cpsr_flags", core},
    {"v0", 128, "aarch64v", fpu},
    {"v1", 128, "aarch64v", fpu},
    {"v2", 128, "aarch64v", fpu},
    {"v3", 128, "aarch64v", fpu},
    {"v4", 128, "aarch64v", fpu},
    {"v5", 128, "aarch64v", fpu},
    {"v6", 128, "aarch64v", fpu},
    {"v7", 128, "aarch64v", fpu},
    {"v8", 128, "aarch64v", fpu},
    {"v9", 128, "aarch64v", fpu},
    {"v10", 128, "aarch64v", fpu},
    {"v11", 128, "aarch64v", fpu},
    {"v12", 128, "aarch64v", fpu},
    {"v13", 128, "aarch64v", fpu},
    {"v14", 128, "aarch64v", fpu},
    {"v15", 128, "aarch64v", fpu},
    {"v16", 128, "aarch64v", fpu},
    {"v17", 128, "aarch64v", fpu},
    {"v18", 128, "aarch64v", fpu},
    {"v19", 128, "aarch64v", fpu},
    {"v20", 128, "aarch64v", fpu},
    {"v21", 128, "aarch64v", fpu},
    {"v22", 128, "aarch64v", fpu},
    {"v23", 128, "aarch64v", fpu},
    {"v24", 128, "aarch64v", fpu},
    {"v25", 128, "aarch64v", fpu},
    {"v26", 128, "aarch64v", fpu},
    {"v27", 128, "aarch64v", fpu},
    {"v28", 128, "aarch64v", fpu},
    {"v29", 128, "aarch64v", fpu},
    {"v30", 128, "aarch64v", fpu},
    {"v31", 128, "aarch64v", fpu},
    {"fpsr", 32, "int", fpu},
    {"fpcr", 32, "int", fpu},
    {"pauth_dmask", 64, "int64", pauth},
    {"pauth_cmask", 64, "int64", pauth},
    // What x86-64's fs_base/gs_base/k_gs_base, cr0-cr4 and efer are to kdive on arm64:
    // current (SP_EL0 in the kernel), the per-CPU offset, the page tables and their format,
    // and the last exception's syndrome, address and return state.
    {"SP_EL0", 64, "int64", system},
    {"SP_EL1", 64, "int64", system},
    {"TPIDR_EL0", 64, "int64", system},
    {"TPIDRRO_EL0", 64, "int64", system},
    {"TPIDR_EL1", 64, "int64", system},
    {"TTBR0_EL1", 64, "int64", system},
    {"TTBR1_EL1", 64, "int64", system},
    {"TCR_EL1", 64, "int64", system},
    {"MAIR_EL1", 64, "int64", system},
    {"SCTLR", 64, "int64", system}, // SCTLR_EL1: QEMU names it after its AArch32 alias
    {"VBAR", 64, "int64", system},  // VBAR_EL1, likewise
    {"ELR_EL1", 64, "int64", system},
    {"SPSR_EL1", 64, "int64", system},
    {"ESR_EL1", 64, "int64", system},
    {"FAR_EL1", 64, "int64", system},
    {"CONTEXTIDR_EL1", 64, "int64", system},
}};

// PSTATE as SPSR lays it out (Arm ARM, "SPSR_EL1"): the condition flags, the exception mask
// bits and the exception level.
constexpr std::string_view core_types = R"(<flags id="cpsr_flags" size="4">
<field name="SP" start="0" end="0"/><field name="EL" start="2" end="3" type="uint32"/>
<field name="nRW" start="4" end="4"/><field name="F" start="6" end="6"/>
<field name="I" start="7" end="7"/><field name="A" start="8" end="8"/>
<field name="D" start="9" end="9"/><field name="BTYPE" start="10" end="11" type="uint32"/>
<field name="SSBS" start="12" end="12"/><field name="IL" start="20" end="20"/>
<field name="SS" start="21" end="21"/><field name="PAN" start="22" end="22"/>
<field name="UAO" start="23" end="23"/><field name="DIT" start="24" end="24"/>
<field name="TCO" start="25" end="25"/><field name="V" start="28" end="28"/>
<field name="C" start="29" end="29"/><field name="Z" start="30" end="30"/>
<field name="N" start="31" end="31"/>
</flags>
)";

// A SIMD register viewed as each element size, as GDB's own aarch64 feature offers it.
constexpr std::string_view fpu_types = R"(<vector id="v2d" type="ieee_double" count="2"/>
<vector id="v2u" type="uint64" count="2"/>
<vector id="v2i" type="int64" count="2"/>
<vector id="v4f" type="ieee_single" count="4"/>
<vector id="v4u" type="uint32" count="4"/>
<vector id="v4i" type="int32" count="4"/>
<vector id="v8f" type="ieee_half" count="8"/>
<vector id="v8u" type="uint16" count="8"/>
<vector id="v8i" type="int16" count="8"/>
<vector id="v16u" type="uint8" count="16"/>
<vector id="v16i" type="int8" count="16"/>
<vector id="v1u" type="uint128" count="1"/>
<vector id="v1i" type="int128" count="1"/>
<union id="vnd"><field name="f" type="v2d"/><field name="u" type="v2u"/>
<field name="s" type="v2i"/></union>
<union id="vns"><field name="f" type="v4f"/><field name="u" type="v4u"/>
<field name="s" type="v4i"/></union>
<union id="vnh"><field name="f" type="v8f"/><field name="u" type="v8u"/>
<field name="s" type="v8i"/></union>
<union id="vnb"><field name="u" type="v16u"/><field name="s" type="v16i"/></union>
<union id="vnq"><field name="u" type="v1u"/><field name="s" type="v1i"/></union>
<union id="aarch64v"><field name="d" type="vnd"/><field name="s" type="vns"/>
<field name="h" type="vnh"/><field name="b" type="vnb"/><field name="q" type="vnq"/></union>
)";

std::string_view types_of(std::string_view feature) {
    if (feature == core) {
        return core_types;
    }
    return feature == fpu ? fpu_types : std::string_view();
}

std::string_view group_of(const GdbRegister& r) {
    if (r.feature == fpu) {
        return r.type == "aarch64v" ? "vector" : "float";
    }
    return r.feature == core ? "general" : "system";
}

} // namespace

std::span<const GdbRegister> gdb_registers() {
    return registers;
}

std::size_t gdb_register_number(std::string_view name) {
    return register_number(registers, name);
}

std::string gdb_target_xml() {
    return target_description(registers, "aarch64", types_of, group_of);
}

unsigned kernel_address_bits(std::uint64_t tcr_el1) {
    // T1SZ (bits 21:16) is the size offset of the kernel half.
    const auto t1sz = static_cast<unsigned>((tcr_el1 >> 16) & 0x3f);
    return t1sz == 0 ? 0 : 64 - t1sz;
}

std::uint64_t pointer_auth_mask(std::uint64_t tcr_el1) {
    const unsigned bits = kernel_address_bits(tcr_el1);
    if (bits == 0) {
        return 0; // no kernel translation set up yet, so nothing is signed
    }
    return ~((std::uint64_t{1} << bits) - 1);
}

} // namespace kdive::arch::aarch64
