// kdive's GDB target description read back by kdive's own description reader, against the
// layout QEMU 7.2 serves: the same registers at the same `g` offsets, so a debugger moving from
// QEMU's stub to `kdive serve` sees nothing change.
#include "arch/x86_64/gdb_registers.hpp"
#include "rsp/target_description.hpp"
#include "unit_data.hpp"

#include <fstream>
#include <gtest/gtest.h>
#include <sstream>

namespace kdive::arch::x86_64 {
namespace {

std::string read_data(const std::string& name) {
    return testing::read_unit_data("rsp", name);
}

TEST(GdbRegisters, DescriptionMatchesQemusLayout) {
    auto ours = rsp::load_target_description([](const std::string& annex) -> Result<std::string> {
        if (annex == "target.xml") {
            return gdb_target_xml();
        }
        return fail("no annex {}", annex);
    });
    ASSERT_TRUE(ours) << ours.error().message;
    auto qemu = rsp::load_target_description([](const std::string& annex) -> Result<std::string> {
        if (annex == "target.xml") {
            return read_data("qemu72_target.xml");
        }
        if (annex == "i386-64bit.xml") {
            return read_data("qemu72_i386-64bit.xml");
        }
        return fail("no annex {}", annex);
    });
    ASSERT_TRUE(qemu) << qemu.error().message;
    EXPECT_EQ(ours->architecture, "i386:x86-64");
    ASSERT_EQ(ours->registers.size(), qemu->registers.size());
    EXPECT_EQ(ours->g_size(), qemu->g_size());
    for (std::size_t i = 0; i < ours->registers.size(); ++i) {
        EXPECT_EQ(ours->registers[i].name, qemu->registers[i].name) << i;
        EXPECT_EQ(ours->registers[i].bitsize, qemu->registers[i].bitsize) << i;
        EXPECT_EQ(gdb_registers()[i].name, ours->registers[i].name) << i;
    }
    EXPECT_EQ(gdb_register_number("rip"), 16u);
    EXPECT_EQ(gdb_register_number("nonesuch"), gdb_registers().size());
    // No dynamic linker to look for: GDB takes the modules from the library list.
    EXPECT_NE(gdb_target_xml().find("<osabi>none</osabi>"), std::string::npos);
}

} // namespace
} // namespace kdive::arch::x86_64
