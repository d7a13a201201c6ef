// Register layout from QEMU 7.2's real x86_64 target description (target.xml → i386-64bit.xml).
#include "rsp/packet_codec.hpp"
#include "rsp/target_description.hpp"
#include "rsp/xml_tags.hpp"
#include "unit_data.hpp"

#include <fstream>
#include <gtest/gtest.h>
#include <map>
#include <sstream>

namespace kdive::rsp {
// Named rather than anonymous: a unity build compiles this file with its siblings.
namespace target_description_test {

std::string read_data(const std::string& name) {
    return testing::read_unit_data("rsp", name);
}

AnnexReader qemu_annexes() {
    return [](const std::string& annex) -> Result<std::string> {
        if (annex == "target.xml")
            return read_data("qemu72_target.xml");
        if (annex == "i386-64bit.xml")
            return read_data("qemu72_i386-64bit.xml");
        return fail("no annex {}", annex);
    };
}

TEST(TargetDescription, QemuX86_64Layout) {
    auto map = load_target_description(qemu_annexes());
    ASSERT_TRUE(map) << map.error().message;
    EXPECT_EQ(map->architecture, "i386:x86-64");
    // cs_base..es_base are commented out in QEMU 7.2's XML: 66 registers, 608-byte `g`.
    EXPECT_EQ(map->registers.size(), 66u);
    EXPECT_EQ(map->g_size(), 608u);
    EXPECT_EQ(map->find("cs_base"), nullptr);
    struct Expect {
        const char* name;
        int regnum;
        int bitsize;
        std::size_t offset;
    } expected[] = {
        {"rax", 0, 64, 0},        {"rip", 16, 64, 128},       {"eflags", 17, 32, 136},
        {"cs", 18, 32, 140},      {"gs", 23, 32, 160},        {"fs_base", 24, 64, 164},
        {"gs_base", 25, 64, 172}, {"k_gs_base", 26, 64, 180}, {"cr0", 27, 64, 188},
        {"cr3", 29, 64, 204},     {"efer", 32, 64, 228},      {"st0", 33, 80, 236},
        {"fctrl", 41, 32, 316},   {"xmm0", 49, 128, 348},     {"mxcsr", 65, 32, 604},
    };
    for (const auto& e : expected) {
        const auto* info = map->find(e.name);
        ASSERT_NE(info, nullptr) << e.name;
        EXPECT_EQ(info->regnum, e.regnum) << e.name;
        EXPECT_EQ(info->bitsize, e.bitsize) << e.name;
        EXPECT_EQ(info->offset, e.offset) << e.name;
    }
    EXPECT_EQ(map->find("rax")->feature, "org.gnu.gdb.i386.core");
}

TEST(TargetDescription, RealGReplyAtStartKernel) {
    auto map = load_target_description(qemu_annexes());
    ASSERT_TRUE(map);
    std::string frame = read_data("qemu72_g_start_kernel.frame");
    FrameDecoder decoder;
    decoder.feed(frame);
    auto event = decoder.next();
    ASSERT_EQ(event.error, CodecError::none);
    auto bytes = hex_decode(event.payload);
    ASSERT_TRUE(bytes.ok());
    ASSERT_EQ(bytes.data.size(), map->g_size());
    auto u64 = [&](const char* name) {
        const auto* info = map->find(name);
        std::uint64_t v = 0;
        for (std::size_t i = 0; i < 8; ++i)
            v |= std::uint64_t(static_cast<unsigned char>(bytes.data[info->offset + i])) << (8 * i);
        return v;
    };
    EXPECT_EQ(u64("rip"), 0xffffffff8304ce41u); // start_kernel in System.map
    EXPECT_NE(u64("efer") & 0x400, 0u);         // LMA: long mode active
    EXPECT_NE(u64("cr0") & 0x80000000u, 0u);    // paging
}

TEST(TargetDescription, ExplicitRegnumsAndIncludes) {
    std::map<std::string, std::string> annexes = {
        {"target.xml", "<target><xi:include href='a.xml'/><xi:include href=\"b.xml\"/></target>"},
        {"a.xml", "<feature name='x'><reg name='r0' bitsize='32'/><reg name='r1' "
                  "bitsize='16'/></feature>"},
        {"b.xml", "<!-- <reg name='ghost' bitsize='8'/> --><feature name='y'>"
                  "<reg name='pc' bitsize='64' regnum='5' type='code_ptr'/>"
                  "<reg name='after' bitsize='8'/></feature>"},
    };
    auto map = load_target_description(
        [&](const std::string& annex) -> Result<std::string> { return annexes.at(annex); });
    ASSERT_TRUE(map) << map.error().message;
    ASSERT_EQ(map->registers.size(), 4u);
    EXPECT_EQ(map->find("pc")->regnum, 5);
    EXPECT_EQ(map->find("pc")->offset, 6u);
    EXPECT_EQ(map->find("after")->regnum, 6);
    EXPECT_EQ(map->find("after")->offset, 14u);
    EXPECT_EQ(map->find("ghost"), nullptr);
}

TEST(TargetDescription, Errors) {
    auto load = [](std::string text) {
        return load_target_description([text](const std::string& annex) -> Result<std::string> {
            if (annex == "target.xml")
                return text;
            return fail("annex {} not found", annex);
        });
    };
    EXPECT_FALSE(load("<target></target>"));                // no registers
    EXPECT_FALSE(load("<target><reg name='a'/></target>")); // no bitsize
    EXPECT_FALSE(load("<target><reg name='a' bitsize='x'/></target>"));
    EXPECT_FALSE(load("<target><xi:include href='target.xml'/></target>")); // cycle
    EXPECT_FALSE(load("<target><xi:include href='missing.xml'/></target>"));
    EXPECT_FALSE(load("<target><reg name='a' bitsize='8'")); // unterminated
    EXPECT_FALSE(load("<!-- open"));
    auto missing = load("<target><xi:include href='missing.xml'/></target>");
    EXPECT_NE(missing.error().message.find("missing.xml"), std::string::npos);
}

TEST(XmlTags, AttributesEntitiesAndText) {
    auto tags = scan_xml_tags("<?xml version=\"1.0\"?><!DOCTYPE t [ <!ENTITY x 'y'> ]>"
                              "<a k='&lt;&amp;&gt;'>t&amp;x</a>");
    ASSERT_TRUE(tags) << tags.error().message;
    ASSERT_EQ(tags->size(), 2u);
    EXPECT_EQ((*tags)[0].attribute("k"), "<&>");
    EXPECT_EQ((*tags)[0].text, "t&x");
    EXPECT_TRUE((*tags)[1].closing);
    EXPECT_FALSE(scan_xml_tags("<a k='&bogus;'/>"));
    EXPECT_FALSE(scan_xml_tags("<a k=v/>"));
}

} // namespace target_description_test
} // namespace kdive::rsp
