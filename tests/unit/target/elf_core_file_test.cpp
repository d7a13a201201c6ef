// ELF vmcores built in the test: memory by physical address, holes, registers from PRSTATUS
// and QEMU notes, VMCOREINFO, and files whose headers lie.
#include "core_notes.hpp"
#include "target/core_file.hpp"
#include "target/core_target.hpp"
#include "temp_dir.hpp"

#include <cstring>
#include <elf.h>
#include <fstream>
#include <gtest/gtest.h>

namespace kdive::target {
// Named rather than anonymous: a unity build compiles this file with its siblings.
namespace elf_core_file_test {

using namespace std::string_view_literals;
using testing::TempDir;

using testing::put_note;

std::vector<std::uint8_t> prstatus(std::uint64_t rip, std::uint64_t rsp) {
    std::vector<std::uint8_t> desc(336, 0);
    std::memcpy(desc.data() + 112 + 16 * 8, &rip, 8); // pr_reg[16] = rip
    std::memcpy(desc.data() + 112 + 19 * 8, &rsp, 8); // pr_reg[19] = rsp
    const std::uint64_t cs = 0x10;
    std::memcpy(desc.data() + 112 + 17 * 8, &cs, 8);
    return desc;
}

std::vector<std::uint8_t> qemu_state(std::uint64_t rip, std::uint64_t gs_base, std::uint64_t cr3) {
    std::vector<std::uint8_t> desc(0x1b8, 0);
    const std::uint32_t version = 1, size = 0x1b8;
    std::memcpy(desc.data(), &version, 4);
    std::memcpy(desc.data() + 4, &size, 4);
    std::memcpy(desc.data() + 8 + 16 * 8, &rip, 8);
    std::memcpy(desc.data() + 152 + 4 * 24 + 16, &gs_base, 8); // gs is the fifth segment
    std::memcpy(desc.data() + 392 + 3 * 8, &cr3, 8);
    return desc;
}

struct Segment {
    std::uint64_t physical;
    std::vector<std::uint8_t> bytes;
    std::uint64_t memory_size;
};

// An ELF64 core: header, program headers (notes first), notes, then each segment's bytes.
std::vector<std::uint8_t> make_core(const std::vector<std::uint8_t>& notes,
                                    const std::vector<Segment>& segments) {
    const std::size_t phnum = 1 + segments.size();
    std::size_t offset = sizeof(Elf64_Ehdr) + phnum * sizeof(Elf64_Phdr);
    Elf64_Ehdr eh{};
    std::memcpy(eh.e_ident, ELFMAG, SELFMAG);
    eh.e_ident[EI_CLASS] = ELFCLASS64;
    eh.e_ident[EI_DATA] = ELFDATA2LSB;
    eh.e_ident[EI_VERSION] = EV_CURRENT;
    eh.e_type = ET_CORE;
    eh.e_machine = EM_X86_64;
    eh.e_version = EV_CURRENT;
    eh.e_phoff = sizeof(Elf64_Ehdr);
    eh.e_ehsize = sizeof(Elf64_Ehdr);
    eh.e_phentsize = sizeof(Elf64_Phdr);
    eh.e_phnum = static_cast<Elf64_Half>(phnum);
    std::vector<Elf64_Phdr> ph(phnum);
    ph[0].p_type = PT_NOTE;
    ph[0].p_offset = offset;
    ph[0].p_filesz = notes.size();
    offset += notes.size();
    for (std::size_t i = 0; i < segments.size(); ++i) {
        auto& p = ph[i + 1];
        p.p_type = PT_LOAD;
        p.p_offset = offset;
        p.p_paddr = segments[i].physical;
        p.p_filesz = segments[i].bytes.size();
        p.p_memsz = segments[i].memory_size;
        offset += segments[i].bytes.size();
    }
    std::vector<std::uint8_t> out(sizeof eh);
    std::memcpy(out.data(), &eh, sizeof eh);
    const auto* raw = reinterpret_cast<const std::uint8_t*>(ph.data());
    out.insert(out.end(), raw, raw + ph.size() * sizeof(Elf64_Phdr));
    out.insert(out.end(), notes.begin(), notes.end());
    for (const auto& segment : segments) {
        out.insert(out.end(), segment.bytes.begin(), segment.bytes.end());
    }
    return out;
}

std::filesystem::path write(const TempDir& dir, const std::vector<std::uint8_t>& bytes) {
    auto path = dir.path() / "vmcore";
    std::ofstream(path, std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()),
               static_cast<std::streamsize>(bytes.size()));
    return path;
}

std::vector<std::uint8_t> pattern(std::size_t size, std::uint8_t seed) {
    std::vector<std::uint8_t> bytes(size);
    for (std::size_t i = 0; i < size; ++i) {
        bytes[i] = static_cast<std::uint8_t>(seed + i * 7);
    }
    return bytes;
}

std::vector<std::uint8_t> two_cpu_notes() {
    std::vector<std::uint8_t> notes;
    put_note(notes, "CORE", 1, prstatus(0xffffffff81000010, 0xffffc90000003f00));
    put_note(notes, "CORE", 1, prstatus(0xffffffff81000020, 0xffffc90000007f00));
    put_note(notes, "QEMU", 0, qemu_state(0xffffffff81000010, 0xffff88803ec00000, 0x2000));
    put_note(notes, "QEMU", 0, qemu_state(0xffffffff81000020, 0xffff88803ed00000, 0x3001));
    const std::string info = "OSRELEASE=6.1.0-57-cloud-amd64\nKERNELOFFSET=0\n"
                             "SYMBOL(init_top_pgt)=ffffffff82a0a000\nNUMBER(phys_base)=0\n";
    put_note(notes, "VMCOREINFO", 0, std::vector<std::uint8_t>(info.begin(), info.end()));
    return notes;
}

TEST(ElfCoreFile, ReadsMemoryByPhysicalAddressWithHolesAndZeroTails) {
    TempDir dir("elfcore");
    auto low = pattern(0x2000, 1);
    auto high = pattern(0x1000, 9);
    auto path =
        write(dir, make_core(two_cpu_notes(), {{0x0, low, 0x2000}, {0x10000, high, 0x3000}}));
    auto file = open_core_file(path);
    ASSERT_TRUE(file) << file.error().message;
    EXPECT_EQ((*file)->describe(), "elf");
    EXPECT_EQ((*file)->physical_end(), 0x13000u);
    std::vector<std::uint8_t> out(0x100);
    ASSERT_TRUE((*file)->read_physical(0x1f80, std::span(out).first(0x80)));
    EXPECT_TRUE(std::equal(out.begin(), out.begin() + 0x80, low.begin() + 0x1f80));
    ASSERT_TRUE((*file)->read_physical(0x10ff0, std::span(out).first(0x20)));
    EXPECT_TRUE(std::equal(out.begin(), out.begin() + 0x10, high.begin() + 0xff0));
    EXPECT_EQ(out[0x10], 0); // past p_filesz, inside p_memsz: zero
    auto hole = (*file)->read_physical(0x8000, out);
    ASSERT_FALSE(hole);
    EXPECT_TRUE(hole.error().is(ErrorKind::unmapped));
    EXPECT_NE(hole.error().message.find("0x8000"), std::string::npos) << hole.error().message;
}

// QEMU's paging dumps: a segment per virtual mapping, physical ranges nested in the direct
// map's; every address is found whichever segment holds it.
TEST(ElfCoreFile, NestedAndRepeatedPhysicalRanges) {
    TempDir dir("elfcore");
    auto all = pattern(0x8000, 3);
    auto inner = std::vector<std::uint8_t>(all.begin() + 0x2000, all.begin() + 0x3000);
    auto tail = std::vector<std::uint8_t>(all.begin() + 0x7000, all.end());
    std::vector<Segment> segments;
    segments.push_back({0x0, all, 0x8000});
    for (int i = 0; i < 20; ++i) { // more nested pieces than a short backwards search covers
        segments.push_back({0x2000, inner, 0x1000});
    }
    segments.push_back({0x7000, tail, 0x1000});
    auto file = open_core_file(write(dir, make_core(two_cpu_notes(), segments)));
    ASSERT_TRUE(file) << file.error().message;
    std::vector<std::uint8_t> out(0x8000);
    ASSERT_TRUE((*file)->read_physical(0, out));
    EXPECT_EQ(out, all);
    EXPECT_FALSE((*file)->read_physical(0x8000, std::span(out).first(1)));
}

TEST(CoreTarget, RegistersPerCpuFromQemuNotesThenPrstatus) {
    TempDir dir("elfcore");
    auto path = write(dir, make_core(two_cpu_notes(), {{0x0, pattern(0x1000, 1), 0x1000}}));
    auto file = open_core_file(path);
    ASSERT_TRUE(file);
    auto target = CoreTarget::open(std::move(*file));
    ASSERT_TRUE(target) << target.error().message;
    EXPECT_EQ((*target)->vcpu_count(), 2);
    EXPECT_FALSE((*target)->has_execution());
    EXPECT_EQ((*target)->vmcore_info().text("OSRELEASE"), "6.1.0-57-cloud-amd64");
    EXPECT_EQ((*target)->vmcore_info().hex("SYMBOL(init_top_pgt)"), 0xffffffff82a0a000u);
    EXPECT_EQ((*target)->read_register("gs_base"), 0xffff88803ec00000u);
    EXPECT_EQ((*target)->read_register("rsp"), 0u); // QEMU's note wins over PRSTATUS
    ASSERT_TRUE((*target)->select_vcpu(1));
    EXPECT_EQ((*target)->read_register("rip"), 0xffffffff81000020u);
    EXPECT_EQ((*target)->read_register("cr3"), 0x3001u);
    EXPECT_FALSE((*target)->select_vcpu(2));
    // By number, whichever CPU is selected.
    EXPECT_EQ((*target)->read_cpu_register(0, "rip"), 0xffffffff81000010u);
    EXPECT_EQ((*target)->current_vcpu(), 1);
    EXPECT_FALSE((*target)->read_cpu_register(2, "rip"));
    auto resume = (*target)->resume();
    ASSERT_FALSE(resume);
    EXPECT_NE(resume.error().message.find("core file"), std::string::npos);
    EXPECT_FALSE((*target)->insert_breakpoint({}));
    // Without a translator virtual reads say why.
    std::uint8_t byte = 0;
    EXPECT_FALSE((*target)->read_memory(0xffffffff81000000, {&byte, 1}));
}

TEST(ElfCoreFile, LyingHeadersGiveErrorsNamingWhatIsWrong) {
    TempDir dir("elfcore");
    auto good = make_core(two_cpu_notes(), {{0x0, pattern(0x1000, 1), 0x1000}});
    {
        auto cut = good;
        cut.resize(cut.size() - 0x800); // the segment runs past the end
        auto file = open_core_file(write(dir, cut));
        ASSERT_FALSE(file);
        EXPECT_NE(file.error().message.find("past the end"), std::string::npos)
            << file.error().message;
    }
    {
        auto many = good;
        Elf64_Half huge = 0xfff0;
        std::memcpy(many.data() + offsetof(Elf64_Ehdr, e_phnum), &huge, sizeof huge);
        auto file = open_core_file(write(dir, many));
        ASSERT_FALSE(file);
        EXPECT_NE(file.error().message.find("program headers"), std::string::npos);
    }
    {
        auto notes = good;
        // The first note claims a description far larger than the note segment.
        const std::size_t first_note = sizeof(Elf64_Ehdr) + 2 * sizeof(Elf64_Phdr);
        std::uint32_t big = 0x7fffffff;
        std::memcpy(notes.data() + first_note + 4, &big, 4);
        auto file = open_core_file(write(dir, notes));
        ASSERT_FALSE(file);
        EXPECT_NE(file.error().message.find("note at offset 0x0"), std::string::npos)
            << file.error().message;
    }
    {
        auto file =
            open_core_file(write(dir, std::vector<std::uint8_t>(good.begin(), good.begin() + 20)));
        ASSERT_FALSE(file);
    }
    {
        std::vector<std::uint8_t> text{'h', 'e', 'l', 'l', 'o'};
        auto path = write(dir, text);
        EXPECT_FALSE(looks_like_core_file(path));
        auto file = open_core_file(path);
        ASSERT_FALSE(file);
        EXPECT_NE(file.error().message.find("not a vmcore"), std::string::npos);
    }
}

TEST(ElfCoreFile, NoRegistersIsAnError) {
    TempDir dir("elfcore");
    auto file = open_core_file(write(dir, make_core({}, {{0x0, pattern(0x1000, 1), 0x1000}})));
    ASSERT_TRUE(file);
    auto target = CoreTarget::open(std::move(*file));
    ASSERT_FALSE(target);
    EXPECT_NE(target.error().message.find("no CPU registers"), std::string::npos);
}

TEST(VmcoreInfo, NumbersAsTheKernelWritesThem) {
    auto info = VmcoreInfo::parse("OSRELEASE=6.1\nKERNELOFFSET=1e000000\nNUMBER(phys_base)=-16\n"
                                  "junk\n=x\nSIZE(page)=4096\n\0OSRELEASE=evil\n"sv);
    EXPECT_EQ(info.text("OSRELEASE"), "6.1");
    EXPECT_EQ(info.hex("KERNELOFFSET"), 0x1e000000u);
    EXPECT_EQ(info.decimal("NUMBER(phys_base)"), -16);
    EXPECT_EQ(info.decimal("SIZE(page)"), 4096);
    EXPECT_FALSE(info.hex("OSRELEASE"));
    EXPECT_FALSE(info.text("junk"));
}

} // namespace elf_core_file_test
} // namespace kdive::target
