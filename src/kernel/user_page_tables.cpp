// mm->pgd is a linear-map address, so its physical address is the map's arithmetic. x86-64's
// level count is the kernel's own __pgtable_l5_enabled; arm64's regime is the one VMCOREINFO
// describes, as Linux gives TTBR0 the same page size and VA size as TTBR1 once booted.
#include "kernel/user_page_tables.hpp"

#include "arch/aarch64/kernel_page_tables.hpp"
#include "kernel/kernel_vmcoreinfo.hpp"
#include "kernel/linear_map.hpp"

namespace kdive::kernel {

namespace {

Result<std::uint64_t> u32_global_or(Kernel& kernel, std::string_view symbol,
                                    std::uint64_t fallback) {
    if (!kernel.has_symbol(symbol)) {
        return fallback;
    }
    auto at = kernel.address_of(symbol);
    if (!at) {
        return std::unexpected(at.error());
    }
    auto value = kernel.read_u32(*at);
    return value ? Result<std::uint64_t>(*value) : wrap(value.error(), symbol);
}

Result<arch::aarch64::TranslationRegime> aarch64_user_regime(Kernel& kernel) {
    auto info = read_kernel_vmcoreinfo(kernel);
    if (!info) {
        return wrap(info.error(), "the arm64 user translation regime");
    }
    auto regime = arch::aarch64::regime_from_vmcoreinfo(*info);
    if (!regime) {
        return fail_as(ErrorKind::unsupported,
                       "VMCOREINFO gives no usable PAGESIZE and VA size for the arm64 user "
                       "page tables");
    }
    return *regime;
}

} // namespace

Result<UserPageTables> UserPageTables::of_task(Kernel& kernel, std::uint64_t task) {
    if (kernel.physical() == nullptr) {
        return fail_as(ErrorKind::unsupported, "this target has no physical memory reads");
    }
    auto mm = kernel.read_member(task, "task_struct", "mm");
    if (!mm) {
        return std::unexpected(mm.error());
    }
    if (*mm == 0) {
        return fail_as(ErrorKind::invalid_input, "task {:#x} is a kernel thread: it has no mm",
                       task);
    }
    auto pgd = kernel.read_member(*mm, "mm_struct", "pgd");
    if (!pgd) {
        return std::unexpected(pgd.error());
    }
    auto page = kernel.layout("page");
    if (!page) {
        return std::unexpected(page.error());
    }
    auto map = read_linear_map(kernel, (*page)->size());
    if (!map) {
        return std::unexpected(map.error());
    }
    auto root = map->physical_of(*pgd);
    if (!root) {
        return fail_as(ErrorKind::corrupt, "mm {:#x} has pgd {:#x} outside the direct map", *mm,
                       *pgd);
    }
    if (kernel.architecture().machine == arch::Machine::aarch64) {
        auto regime = aarch64_user_regime(kernel);
        if (!regime) {
            return std::unexpected(regime.error());
        }
        return UserPageTables(Walker(std::in_place_type<arch::aarch64::PageTableWalker>,
                                     *kernel.physical(), *root, *regime),
                              *root);
    }
    auto five_level = u32_global_or(kernel, "__pgtable_l5_enabled", 0);
    if (!five_level) {
        return std::unexpected(five_level.error());
    }
    return UserPageTables(Walker(std::in_place_type<arch::x86_64::PageTableWalker>,
                                 *kernel.physical(), *root, *five_level != 0),
                          *root);
}

Result<std::optional<std::uint64_t>> UserPageTables::physical_of(std::uint64_t address) {
    return std::visit(
        [&](auto& walker) -> Result<std::optional<std::uint64_t>> {
            auto translation = walker.translate(address);
            if (!translation) {
                return std::unexpected(translation.error());
            }
            return translation->physical;
        },
        walker_);
}

} // namespace kdive::kernel
