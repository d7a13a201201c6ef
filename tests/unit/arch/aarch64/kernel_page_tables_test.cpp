// arm64 KernelPageTables over a fake target: kernel addresses through swapper_pg_dir or
// TTBR1_EL1 (past a KPTI trampoline), user addresses through TTBR0_EL1, TCR_EL1 or VMCOREINFO
// for the regime, the MMU off as identity, caching until invalidate(); VMCOREINFO parsing.
#include "arch/aarch64/kernel_page_tables.hpp"
#include "region_memory.hpp"

#include <cstring>
#include <gtest/gtest.h>
#include <map>

namespace kdive::arch::aarch64 {
namespace {

using testing::RegionMemory;

constexpr std::uint64_t table_bits = 3;
constexpr std::uint64_t page_bits = 3 | (1u << 10);
constexpr std::uint64_t block_bits = 1 | (1u << 10);
// Linux 4K/48: T0SZ = T1SZ = 16, TG0 = 4K, TG1 = 4K (0b10), IPS 48 bits.
constexpr std::uint64_t tcr_4k_48 = 16 | (16u << 16) | (0b10ull << 30) | (0b101ull << 32);

// Physical memory from RegionMemory, system registers by name (absent ones fail).
class FakeTarget final : public target::Target {
public:
    RegionMemory memory;
    std::map<std::string, std::uint64_t, std::less<>> cpu_registers;
    int physical_reads = 0;
    int register_reads = 0;

    Result<> read_memory(std::uint64_t a, std::span<std::uint8_t>) override {
        return fail("no virtual memory at {:#x}", a);
    }
    Result<> write_memory(std::uint64_t, std::span<const std::uint8_t>) override { return {}; }
    Result<> read_physical(std::uint64_t a, std::span<std::uint8_t> out) override {
        ++physical_reads;
        auto bytes = memory.read(a, out.size());
        if (!bytes) {
            return std::unexpected(bytes.error());
        }
        std::memcpy(out.data(), bytes->data(), out.size());
        return {};
    }
    Result<> write_physical(std::uint64_t, std::span<const std::uint8_t>) override { return {}; }
    const std::vector<target::RegisterDescription>& registers() const override {
        return descriptions_;
    }
    Result<std::vector<std::uint8_t>> read_register_bytes(std::string_view name) override {
        ++register_reads;
        auto found = cpu_registers.find(name);
        if (found == cpu_registers.end()) {
            return fail("no register {}", name);
        }
        std::vector<std::uint8_t> bytes(8);
        for (std::size_t i = 0; i < 8; ++i) {
            bytes[i] = static_cast<std::uint8_t>(found->second >> (8 * i));
        }
        return bytes;
    }
    std::string describe() const override { return "fake"; }
    Result<> resume() override { return {}; }
    Result<> step() override { return {}; }
    Result<> interrupt() override { return {}; }
    Result<std::optional<target::StopEvent>> wait_for_stop(std::chrono::milliseconds) override {
        return std::nullopt;
    }
    bool running() const override { return false; }
    Result<> insert_breakpoint(const target::Breakpoint&) override { return {}; }
    Result<> remove_breakpoint(const target::Breakpoint&) override { return {}; }
    const std::vector<target::Breakpoint>& inserted_breakpoints() const override {
        return breakpoints_;
    }
    int vcpu_count() const override { return 1; }
    int current_vcpu() const override { return 0; }
    Result<> select_vcpu(int) override { return {}; }
    Result<std::string> monitor(std::string_view) override { return std::string(); }
    Result<> detach() override { return {}; }

private:
    std::vector<target::RegisterDescription> descriptions_;
    std::vector<target::Breakpoint> breakpoints_;
};

std::uint64_t index_of(std::uint64_t va, int level) {
    return (va >> (12 + 9 * (3 - level))) & 511;
}

// A 4K/48 path from `root` to `physical` for `va`, with tables at root + 0x1000, +0x2000, +0x3000.
void map_page(RegionMemory& memory, std::uint64_t root, std::uint64_t va, std::uint64_t physical) {
    for (int level = 0; level <= 3; ++level) {
        memory.region(root + 0x1000ull * static_cast<std::uint64_t>(level), 4096);
    }
    for (int level = 0; level < 3; ++level) {
        const std::uint64_t table = root + 0x1000ull * static_cast<std::uint64_t>(level);
        memory.put_value(table + 8 * index_of(va, level), (table + 0x1000) | table_bits);
    }
    memory.put_value(root + 0x3000 + 8 * index_of(va, 3), physical | page_bits);
}

constexpr std::uint64_t kernel_va = 0xffff800008010123ull;
constexpr std::uint64_t user_va = 0x0000aaaab0001234ull;

TEST(Aarch64KernelPageTables, KernelAddressesUseSwapperUserAddressesTtbr0) {
    FakeTarget target;
    map_page(target.memory, 0x100000, kernel_va, 0x40810000); // swapper_pg_dir
    map_page(target.memory, 0x200000, kernel_va, 0x66600000); // what TTBR1 would give
    map_page(target.memory, 0x300000, user_va, 0x55500000);   // the process's tables
    target.cpu_registers["SCTLR"] = 0x30d0199d;               // QEMU 7.2's name; M set
    target.cpu_registers["TCR_EL1"] = tcr_4k_48;
    target.cpu_registers["TTBR1_EL1"] = 0x200000;
    target.cpu_registers["TTBR0_EL1"] = (0x2aull << 48) | 0x300000 | 1; // ASID and CnP
    KernelPageTables tables(target, 0x100000);

    auto kernel = tables.translate(kernel_va, 0);
    ASSERT_TRUE(kernel) << kernel.error().message;
    EXPECT_EQ(kernel->physical, 0x40810123u);
    EXPECT_EQ(kernel->length, 0x1000u - 0x123);
    auto user = tables.translate(user_va, 0);
    ASSERT_TRUE(user) << user.error().message;
    EXPECT_EQ(user->physical, 0x55500234u);

    // Without a kernel root, TTBR1_EL1.
    KernelPageTables through_ttbr1(target, std::nullopt);
    auto live = through_ttbr1.translate(kernel_va, 0);
    ASSERT_TRUE(live) << live.error().message;
    EXPECT_EQ(live->physical, 0x66600123u);

    // The steps, for vtop.
    auto walk = tables.walk(kernel_va, 0);
    ASSERT_TRUE(walk && walk->physical);
    ASSERT_EQ(walk->steps.size(), 4u);
    EXPECT_EQ(walk->steps[0].table, 0x100000u);
}

TEST(Aarch64KernelPageTables, UnmappedAddressIsAnErrorNamingIt) {
    FakeTarget target;
    map_page(target.memory, 0x100000, kernel_va, 0x40810000);
    target.cpu_registers["TCR_EL1"] = tcr_4k_48;
    KernelPageTables tables(target, 0x100000);
    auto hole = tables.translate(kernel_va + 0x1000, 0);
    ASSERT_FALSE(hole);
    EXPECT_TRUE(hole.error().is(ErrorKind::unmapped));
    EXPECT_NE(hole.error().message.find("0xffff800008011123"), std::string::npos)
        << hole.error().message;

    // Outside the 48-bit kernel half.
    auto outside = tables.translate(0x00f0800008010123ull, 0);
    ASSERT_FALSE(outside);
    EXPECT_TRUE(outside.error().is(ErrorKind::unmapped));

    // No TTBR0_EL1 (a vmcore): user addresses cannot be translated, and say why.
    auto user = tables.translate(user_va, 0);
    ASSERT_FALSE(user);
    EXPECT_TRUE(user.error().is(ErrorKind::unsupported));
    EXPECT_NE(user.error().message.find("TTBR0_EL1"), std::string::npos);

    // EPD1: TTBR1 walks disabled.
    target.cpu_registers["TCR_EL1"] = tcr_4k_48 | (1u << 23);
    tables.invalidate();
    auto disabled = tables.translate(kernel_va, 0);
    ASSERT_FALSE(disabled);
    EXPECT_TRUE(disabled.error().is(ErrorKind::unmapped));
}

TEST(Aarch64KernelPageTables, MmuOffIsIdentity) {
    FakeTarget target;
    target.cpu_registers["SCTLR_EL1"] = 0x00c50838; // M clear
    KernelPageTables tables(target, std::nullopt);
    auto run = tables.translate(0x40201234, 0);
    ASSERT_TRUE(run) << run.error().message;
    EXPECT_EQ(run->physical, 0x40201234u);
    EXPECT_EQ(run->length, 0x1000u - 0x234);
    auto walk = tables.walk(0x40201234, 0);
    ASSERT_TRUE(walk && walk->physical);
    EXPECT_EQ(*walk->physical, 0x40201234u);
    EXPECT_TRUE(walk->steps.empty());
}

TEST(Aarch64KernelPageTables, RegimeFromTheConstructorWithoutTcr) {
    FakeTarget target; // like a vmcore: no system registers at all
    map_page(target.memory, 0x100000, kernel_va, 0x40810000);
    TranslationRegime regime;
    regime.granule = 4096;
    regime.va_bits = 48;
    KernelPageTables tables(target, 0x100000, regime);
    auto run = tables.translate(kernel_va, 0);
    ASSERT_TRUE(run) << run.error().message;
    EXPECT_EQ(run->physical, 0x40810123u);

    KernelPageTables without(target, 0x100000);
    auto missing = without.translate(kernel_va, 0);
    ASSERT_FALSE(missing);
    EXPECT_TRUE(missing.error().is(ErrorKind::unsupported));
    EXPECT_NE(missing.error().message.find("TCR_EL1"), std::string::npos);
}

TEST(Aarch64KernelPageTables, CachesUntilInvalidate) {
    FakeTarget target;
    map_page(target.memory, 0x100000, kernel_va, 0x40810000);
    target.cpu_registers["SCTLR_EL1"] = 1;
    target.cpu_registers["TCR_EL1"] = tcr_4k_48;
    KernelPageTables tables(target, 0x100000);
    ASSERT_TRUE(tables.translate(kernel_va, 0));
    const int reads = target.physical_reads;
    const int registers = target.register_reads;
    EXPECT_EQ(reads, 4);
    auto again = tables.translate(kernel_va + 8, 0);
    ASSERT_TRUE(again);
    EXPECT_EQ(again->physical, 0x4081012bu);
    EXPECT_EQ(target.physical_reads, reads);
    EXPECT_EQ(target.register_reads, registers);

    // The guest ran: the page moved.
    target.memory.put_value(0x100000 + 0x3000 + 8 * index_of(kernel_va, 3),
                            std::uint64_t{0x40999000} | page_bits);
    EXPECT_EQ(tables.translate(kernel_va, 0)->physical, 0x40810123u);
    tables.invalidate();
    EXPECT_EQ(tables.translate(kernel_va, 0)->physical, 0x40999123u);
    EXPECT_GT(target.register_reads, registers);
}

TEST(Aarch64KernelPageTables, LargePagesGiveGranuleRuns) {
    FakeTarget target;
    // 64K/42: a 512 MiB block at level 2 of an 8192-entry table.
    const std::uint64_t tcr = 22 | (0b01ull << 14) | (22u << 16) | (0b11ull << 30);
    target.cpu_registers["TCR_EL1"] = tcr;
    target.cpu_registers["TTBR1_EL1"] = 0x400000;
    target.memory.region(0x400000, 65536);
    const std::uint64_t va = 0xfffffe0023456789ull;
    target.memory.put_value(0x400000 + 8 * ((va >> 29) & 8191),
                            std::uint64_t{0x60000000} | block_bits);
    KernelPageTables tables(target, std::nullopt);
    auto run = tables.translate(va, 0);
    ASSERT_TRUE(run) << run.error().message;
    EXPECT_EQ(run->physical, 0x60000000u + (va & 0x1fffffff));
    EXPECT_EQ(run->length, 0x10000u - (va & 0xffff));
}

TEST(Aarch64KernelPageTables, KptiTrampolineLeadsToSwapper) {
    FakeTarget target;
    const std::uint64_t tramp = 0x41000000, swapper = tramp + 0x2000;
    map_page(target.memory, 0x500000, kernel_va, 0x40810000);
    target.memory.region(tramp, 4096);          // tramp_pg_dir: only the trampoline's entry
    target.memory.region(tramp + 0x1000, 4096); // reserved_pg_dir: empty
    target.memory.region(swapper, 4096);
    target.memory.put_value(tramp + 8 * 511, std::uint64_t{0x42000000} | table_bits);
    // swapper_pg_dir: the linear map, the kernel image (our path), the fixmap.
    target.memory.put_value(swapper, std::uint64_t{0x43000000} | table_bits);
    target.memory.put_value(swapper + 8 * index_of(kernel_va, 0), 0x501000 | table_bits);
    target.memory.put_value(swapper + 8 * 511, std::uint64_t{0x42000000} | table_bits);
    target.cpu_registers["TCR_EL1"] = tcr_4k_48;
    // In user mode: TTBR1 on the trampoline, with the user ASID (bit 0 set).
    target.cpu_registers["TTBR1_EL1"] = (0x0003ull << 48) | tramp;
    KernelPageTables tables(target, std::nullopt);
    auto run = tables.translate(kernel_va, 0);
    ASSERT_TRUE(run) << run.error().message;
    EXPECT_EQ(run->physical, 0x40810123u);

    // With an even (kernel) ASID, TTBR1_EL1 is taken as it is.
    target.cpu_registers["TTBR1_EL1"] = (0x0002ull << 48) | tramp;
    tables.invalidate();
    auto kernel_mode = tables.translate(kernel_va, 0);
    ASSERT_FALSE(kernel_mode);
    EXPECT_TRUE(kernel_mode.error().is(ErrorKind::unmapped));
}

TEST(Aarch64VmcoreInfo, SwapperAndRegime) {
    auto info = target::VmcoreInfo::parse("OSRELEASE=6.1.0-57-cloud-arm64\n"
                                          "PAGESIZE=4096\n"
                                          "SYMBOL(swapper_pg_dir)=ffff800009f5b000\n"
                                          "NUMBER(VA_BITS)=48\n"
                                          "NUMBER(kimage_voffset)=0xffff7fffc8000000\n"
                                          "NUMBER(PHYS_OFFSET)=0x40000000\n"
                                          "NUMBER(TCR_EL1_T1SZ)=0x10\n"
                                          "KERNELOFFSET=0\n"
                                          "NUMBER(KERNELPACMASK)=0x0\n");
    auto root = kernel_root_from_vmcoreinfo(info);
    ASSERT_TRUE(root);
    EXPECT_EQ(*root, 0x41f5b000u);
    auto regime = regime_from_vmcoreinfo(info);
    ASSERT_TRUE(regime);
    EXPECT_EQ(regime->granule, 4096u);
    EXPECT_EQ(regime->va_bits, 48u);
    EXPECT_FALSE(regime->ds);

    // 4K with 52-bit VAs is LPA2; before TCR_EL1_T1SZ existed, VA_BITS alone.
    auto lpa2 =
        regime_from_vmcoreinfo(target::VmcoreInfo::parse("PAGESIZE=4096\nNUMBER(VA_BITS)=52\n"));
    ASSERT_TRUE(lpa2);
    EXPECT_EQ(lpa2->va_bits, 52u);
    EXPECT_TRUE(lpa2->ds);

    // A 64K kernel built for 52 bits running with 48: TTBR1 points 960 entries in.
    auto fallback = target::VmcoreInfo::parse("PAGESIZE=65536\n"
                                              "SYMBOL(swapper_pg_dir)=ffff800011c30000\n"
                                              "NUMBER(VA_BITS)=52\n"
                                              "NUMBER(kimage_voffset)=0xffff7fffd0000000\n"
                                              "NUMBER(TCR_EL1_T1SZ)=0x10\n");
    EXPECT_EQ(regime_from_vmcoreinfo(fallback)->va_bits, 48u);
    EXPECT_EQ(kernel_root_from_vmcoreinfo(fallback), 0x41c30000u + 0x1e00);

    EXPECT_FALSE(kernel_root_from_vmcoreinfo(target::VmcoreInfo::parse("PAGESIZE=4096\n")));
    EXPECT_FALSE(regime_from_vmcoreinfo(target::VmcoreInfo::parse("NUMBER(VA_BITS)=48\n")));
}

} // namespace
} // namespace kdive::arch::aarch64
