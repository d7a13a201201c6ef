// arm64 vmcores built in the test: NT_PRSTATUS's user_pt_regs by QEMU's register names, the
// machine from e_machine or the note's size, and kernel addresses through the swapper_pg_dir
// VMCOREINFO places; x86-64's parsing stays as it was.
#include "arch/architecture.hpp"
#include "arch/kernel_translator.hpp"
#include "core_notes.hpp"
#include "target/core_file.hpp"
#include "target/core_registers.hpp"
#include "target/core_target.hpp"
#include "temp_dir.hpp"

#include <cstring>
#include <elf.h>
#include <fstream>
#include <gtest/gtest.h>

namespace kdive::target {
namespace {

using testing::TempDir;

using testing::put_note;

void put_u64(std::vector<std::uint8_t>& bytes, std::size_t at, std::uint64_t value) {
    std::memcpy(bytes.data() + at, &value, sizeof value);
}

// struct elf_prstatus as QEMU writes it for arm64: 392 bytes, pr_reg at 112 holding x0-x30, sp,
// pc, pstate; x[i] = base + i.
std::vector<std::uint8_t> arm64_prstatus(std::uint64_t base, std::uint64_t sp, std::uint64_t pc,
                                         std::uint64_t pstate) {
    std::vector<std::uint8_t> desc(392, 0);
    for (std::size_t i = 0; i < 31; ++i) {
        put_u64(desc, 112 + 8 * i, base + i);
    }
    put_u64(desc, 112 + 31 * 8, sp);
    put_u64(desc, 112 + 32 * 8, pc);
    put_u64(desc, 112 + 33 * 8, pstate);
    return desc;
}

// An ELF64 core of `machine` with one note segment and one RAM segment at `ram_at`.
std::vector<std::uint8_t> make_core(std::uint16_t machine, const std::vector<std::uint8_t>& notes,
                                    std::uint64_t ram_at, const std::vector<std::uint8_t>& ram) {
    Elf64_Ehdr eh{};
    std::memcpy(eh.e_ident, ELFMAG, SELFMAG);
    eh.e_ident[EI_CLASS] = ELFCLASS64;
    eh.e_ident[EI_DATA] = ELFDATA2LSB;
    eh.e_ident[EI_VERSION] = EV_CURRENT;
    eh.e_type = ET_CORE;
    eh.e_machine = machine;
    eh.e_version = EV_CURRENT;
    eh.e_phoff = sizeof(Elf64_Ehdr);
    eh.e_ehsize = sizeof(Elf64_Ehdr);
    eh.e_phentsize = sizeof(Elf64_Phdr);
    eh.e_phnum = 2;
    Elf64_Phdr ph[2]{};
    ph[0].p_type = PT_NOTE;
    ph[0].p_offset = sizeof eh + sizeof ph;
    ph[0].p_filesz = notes.size();
    ph[1].p_type = PT_LOAD;
    ph[1].p_offset = ph[0].p_offset + notes.size();
    ph[1].p_paddr = ram_at;
    ph[1].p_filesz = ram.size();
    ph[1].p_memsz = ram.size();
    std::vector<std::uint8_t> out(sizeof eh + sizeof ph);
    std::memcpy(out.data(), &eh, sizeof eh);
    std::memcpy(out.data() + sizeof eh, ph, sizeof ph);
    out.insert(out.end(), notes.begin(), notes.end());
    out.insert(out.end(), ram.begin(), ram.end());
    return out;
}

std::filesystem::path write(const TempDir& dir, const std::vector<std::uint8_t>& bytes) {
    static int n = 0;
    auto path = dir.path() / ("core" + std::to_string(n++));
    std::ofstream(path, std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()),
               static_cast<std::streamsize>(bytes.size()));
    return path;
}

std::vector<CoreNote> parsed(const std::vector<std::uint8_t>& bytes) {
    auto notes = parse_core_notes(bytes);
    return notes ? *notes : std::vector<CoreNote>{};
}

std::vector<std::uint8_t> vmcoreinfo(std::string_view text) {
    return {text.begin(), text.end()};
}

Result<std::unique_ptr<CoreTarget>> open_target(const std::filesystem::path& path) {
    auto file = open_core_file(path);
    if (!file) {
        return std::unexpected(file.error());
    }
    return CoreTarget::open(std::move(*file));
}

constexpr std::uint64_t el1h = 0x3c5; // PSTATE: EL1, SP_EL1, DAIF masked
constexpr std::uint64_t el0t = 0x0;

TEST(CoreRegisters, Arm64PrstatusByTheStubsNames) {
    std::vector<std::uint8_t> notes;
    put_note(notes, "CORE", NT_PRSTATUS,
             arm64_prstatus(0x1000, 0xffff80000a003e80, 0xffff800008011234, el1h));
    put_note(notes, "CORE", NT_PRSTATUS,
             arm64_prstatus(0x2000, 0x0000ffffd0000000, 0x0000aaaab0001000, el0t));
    auto registers = core_registers(em_aarch64, parsed(notes));
    ASSERT_TRUE(registers) << registers.error().message;
    ASSERT_EQ(registers->cpus.size(), 2u);
    const auto& cpu0 = registers->cpus[0];
    EXPECT_EQ(cpu0.at("x0"), 0x1000u);
    EXPECT_EQ(cpu0.at("x29"), 0x1000u + 29);
    EXPECT_EQ(cpu0.at("x30"), 0x1000u + 30);
    EXPECT_EQ(cpu0.at("sp"), 0xffff80000a003e80u);
    EXPECT_EQ(cpu0.at("pc"), 0xffff800008011234u);
    EXPECT_EQ(cpu0.at("cpsr"), el1h);
    EXPECT_EQ(registers->cpus[1].at("pc"), 0x0000aaaab0001000u);
    // x86-64 names are not served for arm64, nor system registers a dump does not hold.
    EXPECT_FALSE(cpu0.contains("rip"));
    EXPECT_FALSE(cpu0.contains("SP_EL0"));
    EXPECT_FALSE(cpu0.contains("TTBR1_EL1"));
}

TEST(CoreRegisters, MachineFromTheHeaderElseTheNotesSize) {
    std::vector<std::uint8_t> arm64;
    put_note(arm64, "CORE", NT_PRSTATUS, arm64_prstatus(0, 0, 0, el1h));
    const auto arm64_notes = parsed(arm64);
    std::vector<std::uint8_t> x86;
    put_note(x86, "CORE", NT_PRSTATUS, std::vector<std::uint8_t>(336, 0));
    const auto x86_notes = parsed(x86);
    EXPECT_EQ(core_machine(EM_AARCH64, x86_notes), em_aarch64); // the header wins
    EXPECT_EQ(core_machine(EM_X86_64, arm64_notes), em_x86_64);
    EXPECT_EQ(core_machine(0, arm64_notes), em_aarch64);
    EXPECT_EQ(core_machine(0, x86_notes), em_x86_64);
    EXPECT_EQ(core_machine(0, {}), em_x86_64);
    auto s390 = core_machine(EM_S390, arm64_notes);
    ASSERT_FALSE(s390);
    EXPECT_NE(s390.error().message.find("ELF machine 22"), std::string::npos)
        << s390.error().message;
}

TEST(CoreRegisters, ShortOrMissingNotesAreErrorsNotGarbage) {
    std::vector<std::uint8_t> shorter;
    put_note(shorter, "CORE", NT_PRSTATUS, std::vector<std::uint8_t>(200, 0xff));
    put_note(shorter, "CORE", NT_PRSTATUS, arm64_prstatus(0x10, 1, 2, el1h));
    auto registers = core_registers(em_aarch64, parsed(shorter));
    ASSERT_TRUE(registers) << registers.error().message;
    // The short note keeps CPU 0's place, with no registers.
    ASSERT_EQ(registers->cpus.size(), 2u);
    EXPECT_TRUE(registers->cpus[0].empty());
    EXPECT_EQ(registers->cpus[1].at("pc"), 2u);
    // QEMU's x86-64 CPU-state notes mean nothing on arm64.
    std::vector<std::uint8_t> qemu_only;
    put_note(qemu_only, "QEMU", 0, std::vector<std::uint8_t>(0x1b8, 0));
    auto none = core_registers(em_aarch64, parsed(qemu_only));
    ASSERT_FALSE(none);
    EXPECT_NE(none.error().message.find("no CPU registers (no arm64 NT_PRSTATUS note)"),
              std::string::npos)
        << none.error().message;
}

// A 4K, 48-bit kernel half: swapper_pg_dir at 0x40001000 maps the image page 0xffff800008000000
// through L1 and L2 tables to an L3 page descriptor for 0x40005000.
TEST(CoreTarget, Arm64DumpTranslatesThroughSwapperPgDir) {
    constexpr std::uint64_t ram_at = 0x40000000;
    constexpr std::uint64_t kimage_voffset = 0xffff7fffc8000000; // image VA - PA
    constexpr std::uint64_t virt = 0xffff800008000000;
    std::vector<std::uint8_t> ram(0x6000, 0);
    auto table = [&](std::uint64_t table_at, unsigned shift, std::uint64_t descriptor) {
        const std::uint64_t index = (virt >> shift) & 511;
        put_u64(ram, table_at - ram_at + 8 * index, descriptor);
    };
    table(0x40001000, 39, 0x40002000 | 3);
    table(0x40002000, 30, 0x40003000 | 3);
    table(0x40003000, 21, 0x40004000 | 3);
    table(0x40004000, 12, 0x40005000 | 0x403); // page, AF
    std::memcpy(ram.data() + 0x5010, "Linux version 6.1", 17);
    std::vector<std::uint8_t> notes;
    put_note(notes, "CORE", NT_PRSTATUS, arm64_prstatus(0, virt + 0x3000, virt + 0x100, el1h));
    put_note(notes, "CORE", NT_PRSTATUS, arm64_prstatus(0, virt + 0x4000, virt + 0x200, el1h));
    put_note(notes, "VMCOREINFO", 0,
             vmcoreinfo(fmt::format("OSRELEASE=6.1.0-57-cloud-arm64\nPAGESIZE=4096\n"
                                    "SYMBOL(swapper_pg_dir)={:x}\nNUMBER(VA_BITS)=48\n"
                                    "NUMBER(kimage_voffset)={:#x}\nNUMBER(PHYS_OFFSET)=0x40000000\n"
                                    "NUMBER(TCR_EL1_T1SZ)=0x10\n",
                                    0x40001000 + kimage_voffset, kimage_voffset)));
    TempDir dir("arm64core");
    auto target = open_target(write(dir, make_core(EM_AARCH64, notes, ram_at, ram)));
    ASSERT_TRUE(target) << target.error().message;
    auto& core = **target;
    EXPECT_EQ(core.machine(), em_aarch64);
    EXPECT_EQ(core.vcpu_count(), 2);
    EXPECT_NE(core.describe().find("2 arm64 CPUs"), std::string::npos) << core.describe();
    // The rest of kdive tells the architecture by the registers the target describes.
    const arch::Architecture& arch = arch::architecture_of(core);
    EXPECT_EQ(arch.machine, arch::Machine::aarch64);
    EXPECT_EQ(core.read_cpu_register(1, arch.pc), virt + 0x200);
    EXPECT_EQ(core.read_cpu_register(1, "cpsr"), el1h);
    auto sp_el0 = core.read_register("SP_EL0");
    ASSERT_FALSE(sp_el0);
    EXPECT_NE(sp_el0.error().message.find("not in the dump"), std::string::npos);
    EXPECT_FALSE(core.read_register("rip"));

    core.set_translator(arch::dump_kernel_translator(core, core.vmcore_info(), arch));
    std::array<std::uint8_t, 17> banner{};
    ASSERT_TRUE(core.read_memory(virt + 0x10, banner)) << "through swapper_pg_dir";
    EXPECT_EQ(std::string_view(reinterpret_cast<const char*>(banner.data()), banner.size()),
              "Linux version 6.1");
    auto unmapped = core.read_memory(virt + 0x200000, banner);
    ASSERT_FALSE(unmapped);
    EXPECT_NE(unmapped.error().message.find("0xffff800008200000"), std::string::npos)
        << unmapped.error().message;
}

TEST(CoreTarget, Arm64DumpWithoutVmcoreinfoSaysWhy) {
    std::vector<std::uint8_t> notes;
    put_note(notes, "CORE", NT_PRSTATUS, arm64_prstatus(0, 0, 0xffff800008000000, el1h));
    put_note(notes, "VMCOREINFO", 0, vmcoreinfo("OSRELEASE=6.1.0-57-cloud-arm64\nPAGESIZE=4096\n"));
    TempDir dir("arm64core");
    auto target = open_target(
        write(dir, make_core(EM_AARCH64, notes, 0x40000000, std::vector<std::uint8_t>(4096))));
    ASSERT_FALSE(target);
    EXPECT_NE(target.error().message.find("without VMCOREINFO's SYMBOL(swapper_pg_dir)"),
              std::string::npos)
        << target.error().message;
}

TEST(CoreTarget, ElfMachineNeitherX86NorArm64IsNamed) {
    std::vector<std::uint8_t> notes;
    put_note(notes, "CORE", NT_PRSTATUS, arm64_prstatus(0, 0, 0, el1h));
    TempDir dir("arm64core");
    const auto path =
        write(dir, make_core(EM_RISCV, notes, 0x80000000, std::vector<std::uint8_t>(4096)));
    auto target = open_target(path);
    ASSERT_FALSE(target);
    EXPECT_NE(target.error().message.find(path.string()), std::string::npos)
        << target.error().message;
    EXPECT_NE(target.error().message.find("ELF machine 243"), std::string::npos)
        << target.error().message;
}

} // namespace
} // namespace kdive::target
