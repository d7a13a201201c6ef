// Chooses the page-table code by architecture; nothing above this layer needs to know which.
#include "arch/kernel_translator.hpp"

#include "arch/aarch64/kernel_page_tables.hpp"
#include "arch/x86_64/kernel_page_tables.hpp"

namespace kdive::arch {

std::unique_ptr<target::AddressTranslator> live_kernel_translator(target::Target& target) {
    if (architecture_of(target).machine == Machine::aarch64) {
        return std::make_unique<aarch64::KernelPageTables>(target, std::nullopt);
    }
    return std::make_unique<x86_64::KernelPageTables>(target, std::nullopt);
}

std::unique_ptr<target::AddressTranslator> dump_kernel_translator(target::Target& target,
                                                                  const target::VmcoreInfo& info,
                                                                  const Architecture& arch) {
    if (arch.machine == Machine::aarch64) {
        return std::make_unique<aarch64::KernelPageTables>(
            target, aarch64::kernel_root_from_vmcoreinfo(info),
            aarch64::regime_from_vmcoreinfo(info));
    }
    std::optional<bool> five_level;
    if (auto l5 = info.decimal("NUMBER(pgtable_l5_enabled)")) {
        five_level = *l5 != 0;
    }
    return std::make_unique<x86_64::KernelPageTables>(
        target, x86_64::kernel_root_from_vmcoreinfo(info), five_level);
}

} // namespace kdive::arch
