// Kernel addresses (bit 55 set) walk swapper_pg_dir or TTBR1_EL1, user addresses TTBR0_EL1;
// SCTLR_EL1.M clear (early boot) makes every address physical.
#include "arch/aarch64/kernel_page_tables.hpp"

namespace kdive::arch::aarch64 {

namespace {

// TTBR1_EL1 holds the ASID (TCR_EL1.A1 = 1 in Linux); KPTI marks user ASIDs with bit 0.
constexpr std::uint64_t user_asid_bit = std::uint64_t{1} << 48;

std::uint64_t regime_key(const TranslationRegime& regime) {
    return regime.granule | (std::uint64_t{regime.va_bits} << 32) |
           (std::uint64_t{regime.ds} << 40) | (std::uint64_t{regime.pa52} << 41);
}

} // namespace

std::optional<TranslationRegime> regime_from_vmcoreinfo(const target::VmcoreInfo& info) {
    auto page_size = info.decimal("PAGESIZE");
    if (!page_size) {
        return std::nullopt;
    }
    TranslationRegime regime;
    regime.granule = static_cast<std::uint64_t>(*page_size);
    // TCR_EL1.T1SZ as the kernel runs (5.9+; "tcr_el1_t1sz" in some backports): a kernel built
    // for 52-bit VAs runs with 48 on CPUs without LVA/LPA2, and VA_BITS says what it was built for.
    auto t1sz = info.hex("NUMBER(TCR_EL1_T1SZ)");
    if (!t1sz) {
        t1sz = info.hex("NUMBER(tcr_el1_t1sz)");
    }
    if (t1sz && *t1sz > 0 && *t1sz < 64) {
        regime.va_bits = static_cast<unsigned>(64 - *t1sz);
    } else if (auto va_bits = info.decimal("NUMBER(VA_BITS)"); va_bits && *va_bits > 0) {
        regime.va_bits = static_cast<unsigned>(*va_bits);
    } else {
        return std::nullopt;
    }
    const bool va52 = regime.va_bits == 52;
    regime.ds = va52 && regime.granule != 65536;
    regime.pa52 = va52;
    if (!regime.check()) {
        return std::nullopt;
    }
    return regime;
}

std::optional<std::uint64_t> kernel_root_from_vmcoreinfo(const target::VmcoreInfo& info) {
    auto symbol = info.hex("SYMBOL(swapper_pg_dir)");
    auto voffset = info.hex("NUMBER(kimage_voffset)");
    if (!symbol || !voffset || *symbol < *voffset) {
        return std::nullopt;
    }
    std::uint64_t root = *symbol - *voffset;
    // A 64K kernel built for 52-bit VAs sizes swapper_pg_dir for 52 bits; running with 48 it
    // points TTBR1_EL1 at the entries 48 bits index (TTBR1_BADDR_4852_OFFSET).
    auto regime = regime_from_vmcoreinfo(info);
    auto built_for = info.decimal("NUMBER(VA_BITS)");
    if (regime && built_for && *built_for == 52 && regime->va_bits == 48 &&
        regime->granule == 65536) {
        TranslationRegime full = *regime;
        full.va_bits = 52;
        const int top = regime->start_level();
        if (full.start_level() == top) {
            root += (full.entries(top) - regime->entries(top)) * 8;
        }
    }
    return root;
}

KernelPageTables::KernelPageTables(target::Target& target, std::optional<std::uint64_t> kernel_root,
                                   std::optional<TranslationRegime> regime)
    : target_(target), kernel_root_(kernel_root), regime_(regime) {}

Result<std::vector<std::byte>> KernelPageTables::read_physical(std::uint64_t address,
                                                               std::size_t length) {
    return read_target_physical(target_, address, length);
}

void KernelPageTables::invalidate() {
    vcpus_.clear();
    walkers_.clear();
}

bool KernelPageTables::mmu_enabled_on(int vcpu, VcpuState& state) {
    if (!state.mmu_enabled) {
        // QEMU 7.2 names it "SCTLR" (later ones "SCTLR_EL1"). Without it (a vmcore), the MMU
        // is taken to be on.
        auto sctlr = target_.read_cpu_register(vcpu, "SCTLR_EL1");
        if (!sctlr) {
            sctlr = target_.read_cpu_register(vcpu, "SCTLR");
        }
        state.mmu_enabled = !sctlr || mmu_enabled(*sctlr);
    }
    return *state.mmu_enabled;
}

Result<TranslationRegime> KernelPageTables::regime_of(AddressHalf half, int vcpu) {
    auto tcr = target_.read_cpu_register(vcpu, "TCR_EL1");
    if (!tcr) {
        if (regime_) {
            return *regime_;
        }
        return fail_as(ErrorKind::unsupported,
                       "CPU {} has no TCR_EL1 here ({}) and no translation regime was given", vcpu,
                       tcr.error().message);
    }
    if (walks_disabled(*tcr, half)) {
        return fail_as(ErrorKind::unmapped, "TCR_EL1 {:#x} disables {} walks on CPU {}", *tcr,
                       ttbr_name(half), vcpu);
    }
    return regime_from_tcr(*tcr, half);
}

Result<int> KernelPageTables::valid_top_entries(std::uint64_t root,
                                                const TranslationRegime& regime) {
    PageTableWalker probe(static_cast<PhysicalReader&>(*this), root, regime);
    const int level = regime.start_level();
    int valid = 0;
    for (std::uint64_t i = 0; i < regime.entries(level); ++i) {
        auto entry = probe.descriptor(root, level, i);
        if (!entry) {
            return std::unexpected(entry.error());
        }
        valid += static_cast<int>(*entry & 1);
    }
    return valid;
}

std::uint64_t KernelPageTables::past_trampoline(std::uint64_t ttbr1, std::uint64_t root,
                                                const TranslationRegime& regime) {
    if ((ttbr1 & user_asid_bit) == 0) {
        return root;
    }
    auto here = valid_top_entries(root, regime);
    if (!here || *here > 2) {
        return root;
    }
    for (std::uint64_t pages : {2, 1}) {
        const std::uint64_t candidate = root + pages * regime.granule;
        if (auto there = valid_top_entries(candidate, regime); there && *there > *here) {
            return candidate;
        }
    }
    return root;
}

Result<KernelPageTables::Space> KernelPageTables::space_of(AddressHalf half, int vcpu) {
    auto regime = regime_of(half, vcpu);
    if (!regime) {
        return std::unexpected(regime.error());
    }
    if (half == AddressHalf::kernel && kernel_root_) {
        return Space{*regime, *kernel_root_};
    }
    auto ttbr = target_.read_cpu_register(vcpu, ttbr_name(half));
    if (!ttbr) {
        return fail_as(ErrorKind::unsupported, "CPU {} has no {} here ({})", vcpu, ttbr_name(half),
                       ttbr.error().message);
    }
    std::uint64_t root = regime->table_from_ttbr(*ttbr);
    if (half == AddressHalf::kernel) {
        root = past_trampoline(*ttbr, root, *regime);
    }
    return Space{*regime, root};
}

Result<std::optional<KernelPageTables::Space>> KernelPageTables::resolve(std::uint64_t address,
                                                                         int vcpu) {
    VcpuState& state = vcpus_[vcpu];
    if (!mmu_enabled_on(vcpu, state)) {
        return std::optional<Space>{};
    }
    auto& space = state.spaces[static_cast<std::size_t>(half_of(address))];
    if (!space) {
        space = space_of(half_of(address), vcpu);
    }
    if (!*space) {
        return fail_as((*space).error().kind, "cannot translate {:#x}: {}", address,
                       (*space).error().message);
    }
    return std::optional<Space>(**space);
}

KernelPageTables::Cached& KernelPageTables::cached_for(const Space& space) {
    auto& cached = walkers_[{space.root, regime_key(space.regime)}];
    if (!cached.walker) {
        cached.walker = std::make_unique<PageTableWalker>(static_cast<PhysicalReader&>(*this),
                                                          space.root, space.regime);
    }
    return cached;
}

Result<Translation> KernelPageTables::walk(std::uint64_t address, int vcpu) {
    auto space = resolve(address, vcpu);
    if (!space) {
        return std::unexpected(space.error());
    }
    if (!*space) {
        Translation identity;
        identity.virtual_address = address;
        identity.physical = address;
        return identity;
    }
    return cached_for(**space).walker->translate(address);
}

Result<target::PhysicalRun> KernelPageTables::translate(std::uint64_t address, int vcpu) {
    auto space = resolve(address, vcpu);
    if (!space) {
        return std::unexpected(space.error());
    }
    if (!*space) {
        return target::PhysicalRun{address, 0x1000 - (address & 0xfff)};
    }
    const std::uint64_t granule = (*space)->regime.granule;
    const std::uint64_t offset = address & (granule - 1);
    const std::uint64_t page = address - offset;
    Cached& cached = cached_for(**space);
    if (auto hit = cached.pages.find(page); hit != cached.pages.end()) {
        return target::PhysicalRun{hit->second | offset, granule - offset};
    }
    auto translation = cached.walker->translate(address);
    if (!translation) {
        return std::unexpected(translation.error());
    }
    if (!translation->physical) {
        if (translation->steps.empty()) {
            return fail_as(ErrorKind::unmapped, "virtual address {:#x} is not mapped", address);
        }
        const PageTableStep& last = translation->steps.back();
        return fail_as(ErrorKind::unmapped,
                       "virtual address {:#x} is not mapped (level {} descriptor {:#x} at "
                       "physical {:#x} is not valid)",
                       address, last.level, last.entry, last.entry_address);
    }
    const std::uint64_t physical = *translation->physical;
    cached.pages.emplace(page, physical - offset);
    return target::PhysicalRun{physical, granule - offset};
}

} // namespace kdive::arch::aarch64
