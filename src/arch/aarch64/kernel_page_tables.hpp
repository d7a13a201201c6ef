// arm64 address translation for targets that serve physical memory: the kernel's own tables
// (swapper_pg_dir, from VMCOREINFO or a vCPU's TTBR1_EL1) for kernel addresses, the vCPU's
// TTBR0_EL1 for user addresses, in the regime its TCR_EL1 sets (or VMCOREINFO describes).
// Table pages and translations are cached until invalidate().
#pragma once

#include "arch/aarch64/page_table_walker.hpp"
#include "arch/physical_reader.hpp"
#include "target/address_translator.hpp"
#include "target/target.hpp"
#include "target/vmcore_info.hpp"

#include <map>
#include <memory>
#include <optional>
#include <unordered_map>
#include <utility>

namespace kdive::arch::aarch64 {

// The table TTBR1_EL1 points at in kernel mode, as VMCOREINFO describes it:
// SYMBOL(swapper_pg_dir) - NUMBER(kimage_voffset), moved past the entries a 64K kernel built
// for 52-bit VAs leaves unused when it runs with 48 (TTBR1_BADDR_4852_OFFSET).
std::optional<std::uint64_t> kernel_root_from_vmcoreinfo(const target::VmcoreInfo& info);
// The kernel half's regime VMCOREINFO describes (a vmcore has no TCR_EL1): PAGESIZE, and
// NUMBER(TCR_EL1_T1SZ) (5.9+) or NUMBER(VA_BITS). LPA2 is taken to be on exactly when a 4K/16K
// kernel runs with 52-bit VAs.
std::optional<TranslationRegime> regime_from_vmcoreinfo(const target::VmcoreInfo& info);

class KernelPageTables final : public target::AddressTranslator, private PhysicalReader {
public:
    // `target` serves physical memory and, where it has them, the vCPUs' SCTLR_EL1, TCR_EL1,
    // TTBR0_EL1 and TTBR1_EL1. `kernel_root`: the physical address of the table TTBR1_EL1 holds
    // in kernel mode (kernel_root_from_vmcoreinfo); without it kernel addresses go through the
    // vCPU's TTBR1_EL1. `regime`: the kernel's translation regime for targets without TCR_EL1
    // (regime_from_vmcoreinfo); a vCPU's TCR_EL1 wins when the target has it.
    KernelPageTables(target::Target& target, std::optional<std::uint64_t> kernel_root,
                     std::optional<TranslationRegime> regime = std::nullopt);

    Result<target::PhysicalRun> translate(std::uint64_t address, int vcpu) override;
    void invalidate() override;

    // The walk behind translate(), step by step, for `vtop`. With the MMU off it has no steps
    // and the physical address is the virtual one.
    Result<Translation> walk(std::uint64_t address, int vcpu);

private:
    Result<std::vector<std::byte>> read_physical(std::uint64_t address,
                                                 std::size_t length) override;
    struct Space {
        TranslationRegime regime;
        std::uint64_t root = 0; // physical address of the starting table
    };
    // What a vCPU's registers say, read once per invalidate().
    struct VcpuState {
        std::optional<bool> mmu_enabled;
        std::optional<Result<Space>> spaces[2]; // by AddressHalf
    };
    bool mmu_enabled_on(int vcpu, VcpuState& state);
    // The regime and starting table translating one half for `vcpu`.
    Result<Space> space_of(AddressHalf half, int vcpu);
    Result<TranslationRegime> regime_of(AddressHalf half, int vcpu);
    // Under KPTI a vCPU in user mode has TTBR1_EL1 on tramp_pg_dir, which maps only the
    // trampoline; swapper_pg_dir follows it two pages on (one on kernels that placed no
    // reserved page between them).
    std::uint64_t past_trampoline(std::uint64_t ttbr1, std::uint64_t root,
                                  const TranslationRegime& regime);
    Result<int> valid_top_entries(std::uint64_t root, const TranslationRegime& regime);
    struct Cached {
        std::unique_ptr<PageTableWalker> walker;
        std::unordered_map<std::uint64_t, std::uint64_t> pages; // virtual -> physical granule
    };
    Cached& cached_for(const Space& space);
    // Identity for a vCPU with its MMU off, else the space translating `address`.
    Result<std::optional<Space>> resolve(std::uint64_t address, int vcpu);

    target::Target& target_;
    std::optional<std::uint64_t> kernel_root_;
    std::optional<TranslationRegime> regime_;
    std::unordered_map<int, VcpuState> vcpus_;
    // By (starting table, regime): one walker each, with its granule pages' translations.
    std::map<std::pair<std::uint64_t, std::uint64_t>, Cached> walkers_;
};

} // namespace kdive::arch::aarch64
