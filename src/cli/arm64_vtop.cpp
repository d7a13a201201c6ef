// `vtop` on arm64: the walk through the kernel's tables (TTBR1) or a task's (its mm->pgd),
// with the granule and levels TCR_EL1 sets (a vmcore's VMCOREINFO where there is no TCR_EL1).
#include "arch/aarch64/kernel_page_tables.hpp"
#include "arch/aarch64/page_table_walker.hpp"
#include "cli/kernel_commands.hpp"
#include "kernel/kernel_vmcoreinfo.hpp"
#include "support/guest_text.hpp"
#include "support/hex_text.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace kdive::cli {

namespace {

using Json = nlohmann::json;

} // namespace

Result<std::string> KernelCommands::vtop_arm64(std::uint64_t address,
                                               std::optional<std::uint64_t> pid, bool json) {
    namespace a64 = arch::aarch64;
    const int vcpu = target_.current_vcpu();
    std::string source = fmt::format("the page tables of CPU {}", selected_cpu());
    // A dump holds no TCR_EL1 or TTBR1_EL1: swapper_pg_dir and the VA size come from the
    // VMCOREINFO the kernel keeps, as for the dump's own reads.
    auto tcr = memory_.read_register("TCR_EL1");
    std::optional<target::VmcoreInfo> info;
    if (!tcr) {
        auto view = kernel();
        if (!view) {
            return std::unexpected(view.error());
        }
        auto found = kernel::read_kernel_vmcoreinfo(**view);
        if (!found) {
            return wrap(found.error(), fmt::format("vtop: {}", tcr.error().message));
        }
        info = std::move(*found);
        source = "swapper_pg_dir (VMCOREINFO)";
    }
    a64::KernelPageTables tables(target_,
                                 info ? a64::kernel_root_from_vmcoreinfo(*info) : std::nullopt,
                                 info ? a64::regime_from_vmcoreinfo(*info) : std::nullopt);
    Result<a64::Translation> translation = fail("no walk");
    std::uint64_t root = 0;
    if (pid) {
        auto found = task_pgd(*pid);
        if (!found) {
            return std::unexpected(found.error());
        }
        // mm->pgd is a linear-map address, which the kernel's tables map.
        auto pgd = tables.walk(found->first, vcpu);
        if (!pgd) {
            return std::unexpected(pgd.error());
        }
        if (!pgd->physical) {
            return fail("vtop: pid {}'s pgd {} is not mapped", *pid, hex(found->first));
        }
        // Without TCR_EL1: Linux gives TTBR0 the kernel half's granule and VA size once booted.
        Result<a64::TranslationRegime> regime =
            fail("vtop: VMCOREINFO gives no usable PAGESIZE and VA size");
        if (tcr) {
            regime = a64::regime_from_tcr(*tcr, a64::half_of(address));
        } else if (auto described = a64::regime_from_vmcoreinfo(*info)) {
            regime = *described;
        }
        if (!regime) {
            return std::unexpected(regime.error());
        }
        root = *pgd->physical;
        source = found->second;
        a64::PageTableWalker walker(memory_, root, *regime);
        translation = walker.translate(address);
    } else {
        translation = tables.walk(address, vcpu);
        if (translation && !translation->steps.empty()) {
            root = translation->steps.front().table;
        }
    }
    if (!translation) {
        return std::unexpected(translation.error());
    }
    const std::size_t levels = translation->steps.size();
    if (json) {
        Json steps = Json::array();
        for (const auto& step : translation->steps) {
            steps.push_back({{"level", step.level},
                             {"index", step.index},
                             {"entry_address", hex(step.entry_address)},
                             {"entry", hex(step.entry)},
                             {"present", step.valid},
                             {"large", step.block}});
        }
        Json out = {
            {"address", hex(address)}, {"root", hex(root)}, {"levels", levels}, {"steps", steps}};
        out["physical"] = translation->physical ? Json(hex(*translation->physical)) : Json();
        out["page_size"] = translation->page_size;
        return dump_json(out);
    }
    std::string text =
        fmt::format("{} through {} (root at physical {})\n", hex(address), source, hex(root));
    for (const auto& step : translation->steps) {
        text += fmt::format("  L{:<2} [{:4}] @ {:#014x} = {:#018x}{}\n", step.level, step.index,
                            step.entry_address, step.entry,
                            !step.valid  ? "  not valid"
                            : step.block ? "  block"
                                         : "");
    }
    if (translation->physical) {
        text += fmt::format("physical {} ({} KiB {})\n", hex(*translation->physical),
                            translation->page_size / 1024,
                            translation->steps.empty() ? "identity: the MMU is off" : "page");
    } else {
        text += fmt::format("{} is not mapped\n", hex(address));
    }
    return text;
}

} // namespace kdive::cli
