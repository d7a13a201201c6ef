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
    std::vector<std::byte> bytes(length);
    if (auto ok = target_.read_physical(
            address, {reinterpret_cast<std::uint8_t*>(bytes.data()), bytes.size()});
        !ok) {
        return std::unexpected(ok.error());
    }
    return bytes;
}

void KernelPageTables::invalidate() {
    walkers_.clear();
    pages_.clear();
}

Result<PageTableWalker*> KernelPageTables::walker_for(std::uint64_t address, int vcpu) {
    std::uint64_t root = 0;
    if (is_kernel_address(address) && kernel_root_) {
        root = *kernel_root_;
    } else {
        auto cr3 = target_.read_register("cr3");
        if (!cr3) {
            return fail_as(
                ErrorKind::unsupported,
                "cannot translate {:#x}: CPU {} has no CR3 here ({}), and no kernel page "
                "table root is known",
                address, vcpu, cr3.error().message);
        }
        root = PageTableWalker::root_from_cr3(*cr3) & ~kpti_user_bit;
    }
    auto found = walkers_.find(root);
    if (found == walkers_.end()) {
        bool five_level = false;
        if (five_level_) {
            five_level = *five_level_;
        } else if (auto cr4 = target_.read_register("cr4")) {
            five_level = PageTableWalker::five_level_from_cr4(*cr4);
        }
        found = walkers_
                    .emplace(root, std::make_unique<PageTableWalker>(
                                       static_cast<PhysicalReader&>(*this), root, five_level))
                    .first;
    }
    return found->second.get();
}

Result<target::PhysicalRun> KernelPageTables::translate(std::uint64_t address, int vcpu) {
    auto walker = walker_for(address, vcpu);
    if (!walker) {
        return std::unexpected(walker.error());
    }
    const std::uint64_t page = address & ~std::uint64_t{0xfff};
    auto& cache = pages_[(*walker)->root()];
    if (auto hit = cache.find(page); hit != cache.end()) {
        const std::uint64_t physical = hit->second.physical_page | (address & 0xfff);
        return target::PhysicalRun{physical, 0x1000 - (address & 0xfff)};
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
    return target::PhysicalRun{physical, 0x1000 - (address & 0xfff)};
}

} // namespace kdive::arch::x86_64
