// GDB requires the core feature to hold the general, segment and x87 registers in its own
// order; fs_base/gs_base and the control registers come between them in QEMU's layout, and
// GDB matches those by name.
#include "arch/x86_64/gdb_registers.hpp"

#include <array>

namespace kdive::arch::x86_64 {

namespace {

constexpr std::string_view core = "org.gnu.gdb.i386.core";
constexpr std::string_view sse = "org.gnu.gdb.i386.sse";

constexpr std::array<GdbRegister, 66> registers{{
    {"rax", 64, "int64", core},       {"rbx", 64, "int64", core},
    {"rcx", 64, "int64", core},       {"rdx", 64, "int64", core},
    {"rsi", 64, "int64", core},       {"rdi", 64, "int64", core},
    {"rbp", 64, "data_ptr", core},    {"rsp", 64, "data_ptr", core},
    {"r8", 64, "int64", core},        {"r9", 64, "int64", core},
    {"r10", 64, "int64", core},       {"r11", 64, "int64", core},
    {"r12", 64, "int64", core},       {"r13", 64, "int64", core},
    {"r14", 64, "int64", core},       {"r15", 64, "int64", core},
    {"rip", 64, "code_ptr", core},    {"eflags", 32, "i386_eflags", core},
    {"cs", 32, "int32", core},        {"ss", 32, "int32", core},
    {"ds", 32, "int32", core},        {"es", 32, "int32", core},
    {"fs", 32, "int32", core},        {"gs", 32, "int32", core},
    {"fs_base", 64, "int64", core},   {"gs_base", 64, "int64", core},
    {"k_gs_base", 64, "int64", core}, {"cr0", 64, "int64", core},
    {"cr2", 64, "int64", core},       {"cr3", 64, "int64", core},
    {"cr4", 64, "int64", core},       {"cr8", 64, "int64", core},
    {"efer", 64, "int64", core},      {"st0", 80, "i387_ext", core},
    {"st1", 80, "i387_ext", core},    {"st2", 80, "i387_ext", core},
    {"st3", 80, "i387_ext", core},    {"st4", 80, "i387_ext", core},
    {"st5", 80, "i387_ext", core},    {"st6", 80, "i387_ext", core},
    {"st7", 80, "i387_ext", core},    {"fctrl", 32, "int", core},
    {"fstat", 32, "int", core},       {"ftag", 32, "int", core},
    {"fiseg", 32, "int", core},       {"fioff", 32, "int", core},
    {"foseg", 32, "int", core},       {"fooff", 32, "int", core},
    {"fop", 32, "int", core},         {"xmm0", 128, "vec128", sse},
    {"xmm1", 128, "vec128", sse},     {"xmm2", 128, "vec128", sse},
    {"xmm3", 128, "vec128", sse},     {"xmm4", 128, "vec128", sse},
    {"xmm5", 128, "vec128", sse},     {"xmm6", 128, "vec128", sse},
    {"xmm7", 128, "vec128", sse},     {"xmm8", 128, "vec128", sse},
    {"xmm9", 128, "vec128", sse},     {"xmm10", 128, "vec128", sse},
    {"xmm11", 128, "vec128", sse},    {"xmm12", 128, "vec128", sse},
    {"xmm13", 128, "vec128", sse},    {"xmm14", 128, "vec128", sse},
    {"xmm15", 128, "vec128", sse},    {"mxcsr", 32, "i386_mxcsr", sse},
}};

// The types the features use beyond GDB's predefined ones, as GDB's own i386 features spell
// them.
constexpr std::string_view core_types = R"(<flags id="i386_eflags" size="4">
<field name="CF" start="0" end="0"/><field name="" start="1" end="1"/>
<field name="PF" start="2" end="2"/><field name="AF" start="4" end="4"/>
<field name="ZF" start="6" end="6"/><field name="SF" start="7" end="7"/>
<field name="TF" start="8" end="8"/><field name="IF" start="9" end="9"/>
<field name="DF" start="10" end="10"/><field name="OF" start="11" end="11"/>
<field name="NT" start="14" end="14"/><field name="RF" start="16" end="16"/>
<field name="VM" start="17" end="17"/><field name="AC" start="18" end="18"/>
<field name="VIF" start="19" end="19"/><field name="VIP" start="20" end="20"/>
<field name="ID" start="21" end="21"/>
</flags>
)";

constexpr std::string_view sse_types = R"(<vector id="v8bf16" type="bfloat16" count="8"/>
<vector id="v4f" type="ieee_single" count="4"/>
<vector id="v2d" type="ieee_double" count="2"/>
<vector id="v16i8" type="int8" count="16"/>
<vector id="v8i16" type="int16" count="8"/>
<vector id="v4i32" type="int32" count="4"/>
<vector id="v2i64" type="int64" count="2"/>
<union id="vec128">
<field name="v8_bfloat16" type="v8bf16"/><field name="v4_float" type="v4f"/>
<field name="v2_double" type="v2d"/><field name="v16_int8" type="v16i8"/>
<field name="v8_int16" type="v8i16"/><field name="v4_int32" type="v4i32"/>
<field name="v2_int64" type="v2i64"/><field name="uint128" type="uint128"/>
</union>
<flags id="i386_mxcsr" size="4">
<field name="IE" start="0" end="0"/><field name="DE" start="1" end="1"/>
<field name="ZE" start="2" end="2"/><field name="OE" start="3" end="3"/>
<field name="UE" start="4" end="4"/><field name="PE" start="5" end="5"/>
<field name="DAZ" start="6" end="6"/><field name="IM" start="7" end="7"/>
<field name="DM" start="8" end="8"/><field name="ZM" start="9" end="9"/>
<field name="OM" start="10" end="10"/><field name="UM" start="11" end="11"/>
<field name="PM" start="12" end="12"/><field name="FZ" start="15" end="15"/>
</flags>
)";

std::string_view types_of(std::string_view feature) {
    return feature == core ? core_types : sse_types;
}

std::string_view group_of(const GdbRegister& r) {
    if (r.feature == sse) {
        return "vector";
    }
    if (r.type == "i387_ext" || r.type == "int") {
        return "float"; // st0-st7 and the x87 control registers
    }
    if (r.name.ends_with("base") || r.name.starts_with("cr") || r.name == "efer") {
        return "system";
    }
    return "general";
}

} // namespace

std::span<const GdbRegister> gdb_registers() {
    return registers;
}

std::size_t gdb_register_number(std::string_view name) {
    return register_number(registers, name);
}

std::string gdb_target_xml() {
    return target_description(registers, "i386:x86-64", types_of, group_of);
}

} // namespace kdive::arch::x86_64
