// Under KPTI a vCPU in user mode has the user half of its 8 KiB top-table pair in CR3 (bit 12
// set); the kernel half, which maps kernel and user addresses, is the even page.
#include "arch/x86_64/kernel_page_tables.hpp"

#include <cstring>

namespace kdive::arch::x86_64 {

namespace {

constexpr std::uint64_t start_kernel_map = 0xffffffff80000000ull;
constexpr std::uint64_t kpti_user_bit = 0x1000;

bool is_kernel_address(std::uint64_t address) {
    return (address >> 63) != 0;
}

} // namespace

std::optional<std::uint64_t> kernel_root_from_vmcoreinfo(const target::VmcoreInfo& info) {
    auto symbol = info.hex("SYMBOL(init_top_pgt)");
    if (!symbol) {
        symbol = info.hex("SYMBOL(init_level4_pgt)"); // before 4.13
    }
    auto phys_base = info.decimal("NUMBER(phys_base)");
    if (!symbol || !phys_base || *symbol < start_kernel_map) {
        return std::nullopt;
    }
    return *symbol - start_kernel_map + static_cast<std::uint64_t>(*phys_base);
}

KernelPageTables::KernelPageTables(target::Target& target, std::optional<std::uint64_t> kernel_root,
                                   std::optional<bool> five_level)
    : target_(target), kernel_root_(kernel_root), five_level_(five_level) {}

Result<std::vector<std::byte>> KernelPageTables::read_physical(std::uint64_t address,
                                                               std::size_t length) {
    return read_target_physical(target_, address, length);
}

void KernelPageTables::invalidate() {
    walkers_.clear();
    pages_.clear();
    vcpus_.clear();
}

Result<int> KernelPageTables::kernel_half_entries(std::uint64_t root) {
    PageTableWalker probe(static_cast<PhysicalReader&>(*this), root, false);
    auto table = probe.table(root);
    if (!table) {
        return std::unexpected(table.error());
    }
    int present = 0;
    for (std::size_t i = 256; i < 512; ++i) {
        present += static_cast<int>((**table)[i] & 1);
    }
    return present;
}

Result<KernelPageTables::VcpuPaging> KernelPageTables::paging_of(int vcpu) {
    if (auto known = vcpus_.find(vcpu); known != vcpus_.end()) {
        return known->second;
    }
    VcpuPaging paging;
    if (auto cr0 = target_.read_register("cr0"); cr0 && (*cr0 & (1ull << 31)) == 0) {
        paging.paging = false;
        return vcpus_.emplace(vcpu, paging).first->second;
    }
    if (auto efer = target_.read_register("efer"); efer && (*efer & (1u << 10)) == 0) {
        return fail_as(ErrorKind::unsupported, "CPU {} is not in long mode", vcpu);
    }
    auto cr3 = target_.read_register("cr3");
    if (!cr3) {
        return fail_as(ErrorKind::unsupported, "CPU {} has no CR3 here ({})", vcpu,
                       cr3.error().message);
    }
    paging.root = PageTableWalker::root_from_cr3(*cr3);
    if (five_level_) {
        paging.five_level = *five_level_;
    } else if (auto cr4 = target_.read_register("cr4")) {
        paging.five_level = PageTableWalker::five_level_from_cr4(*cr4);
    }
    // A vCPU in user mode under KPTI runs on the user half of its table pair, which maps
    // almost no kernel memory; the kernel half (the even page) maps everything.
    if ((paging.root & kpti_user_bit) != 0) {
        auto user = kernel_half_entries(paging.root);
        auto kernel = kernel_half_entries(paging.root & ~kpti_user_bit);
        if (user && kernel && *user <= 2 && *kernel > *user) {
            paging.root &= ~kpti_user_bit;
        }
    }
    return vcpus_.emplace(vcpu, paging).first->second;
}

Result<PageTableWalker*> KernelPageTables::walker_for(std::uint64_t root, bool five_level) {
    auto found = walkers_.find(root);
    if (found == walkers_.end()) {
        found = walkers_
                    .emplace(root, std::make_unique<PageTableWalker>(
                                       static_cast<PhysicalReader&>(*this), root, five_level))
                    .first;
    }
    return found->second.get();
}

Result<target::PhysicalRun> KernelPageTables::translate(std::uint64_t address, int vcpu) {
    const std::uint64_t in_page = 0x1000 - (address & 0xfff);
    std::uint64_t root = 0;
    bool five_level = false;
    if (is_kernel_address(address) && kernel_root_) {
        root = *kernel_root_;
        five_level = five_level_.value_or(false);
    } else {
        auto paging = paging_of(vcpu);
        if (!paging) {
            return fail_as(paging.error().kind, "cannot translate {:#x}: {}", address,
                           paging.error().message);
        }
        if (!paging->paging) {
            return target::PhysicalRun{address, in_page};
        }
        root = paging->root;
        five_level = paging->five_level;
    }
    auto walker = walker_for(root, five_level);
    if (!walker) {
        return std::unexpected(walker.error());
    }
    const std::uint64_t page = address & ~std::uint64_t{0xfff};
    auto& cache = pages_[root];
    if (auto hit = cache.find(page); hit != cache.end()) {
        return target::PhysicalRun{hit->second.physical_page | (address & 0xfff), in_page};
    }
    auto translation = (*walker)->translate(address);
    if (!translation) {
        return std::unexpected(translation.error());
    }
    if (!translation->physical) {
        return fail_as(ErrorKind::unmapped, "virtual address {:#x} is not mapped", address);
    }
    const std::uint64_t physical = *translation->physical;
    cache.emplace(page, Cached{physical & ~std::uint64_t{0xfff}, translation->page_size});
    return target::PhysicalRun{physical, in_page};
}

} // namespace kdive::arch::x86_64
