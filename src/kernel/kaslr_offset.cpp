// KASLR moves the image in CONFIG_PHYSICAL_ALIGN (2 MiB) steps inside the 1 GiB image mapping.
// Cheapest first: the link address itself (nokaslr) costs one read. Then the page tables: at
// boot cleanup_highmap() clears every 2 MiB entry of level2_kernel_pgt below _text, so the first
// present PD entry under __START_KERNEL_map is _text — about four physical reads. Last, a scan
// for linux_banner in 2 MiB steps (up to 512 reads; needs no registers or physical memory).
// arm64 places its image anywhere in the vmalloc area: there the exception vectors register
// says where, or a dump's VMCOREINFO (KERNELOFFSET), which is tried first on both.
#include "kernel/kaslr_offset.hpp"

#include "arch/architecture.hpp"
#include "arch/x86_64/page_table_walker.hpp"
#include "kernel/kernel_version.hpp"

#include <optional>
#include <vector>

namespace kdive::kernel {

namespace {

constexpr std::uint64_t two_mib = 2ull << 20;
constexpr std::uint64_t image_span = kernel_image_end - kernel_image_start;

enum class Banner { none, other_kernel, same_kernel };

// What reads back at `linux_banner + offset`: this vmlinux's banner, another kernel's banner
// (the vmlinux does not match; the version check reports it), or neither.
Banner banner_at(Kernel& kernel, std::uint64_t file_banner_address, std::uint64_t offset,
                 const std::string& expected) {
    auto bytes = kernel.memory().read(file_banner_address + offset, expected.size());
    if (!bytes) {
        return Banner::none;
    }
    const auto same = [](char c, std::byte b) { return static_cast<char>(b) == c; };
    if (std::equal(expected.begin(), expected.end(), bytes->begin(), same)) {
        return Banner::same_kernel;
    }
    constexpr std::string_view prefix = "Linux version ";
    if (bytes->size() >= prefix.size() &&
        std::equal(prefix.begin(), prefix.end(), bytes->begin(), same)) {
        return Banner::other_kernel;
    }
    return Banner::none;
}

// The virtual address of _text as the running kernel maps it, from the page tables in CR3.
Result<std::uint64_t> mapped_text_start(Kernel& kernel, eval::RegisterReader& registers,
                                        bool user_half) {
    if (kernel.physical() == nullptr) {
        return fail("no physical memory access");
    }
    auto cr3 = registers.read_register("cr3");
    if (!cr3) {
        return std::unexpected(cr3.error());
    }
    auto cr4 = registers.read_register("cr4");
    bool five_level = cr4 && arch::x86_64::PageTableWalker::five_level_from_cr4(*cr4);
    std::uint64_t root = arch::x86_64::PageTableWalker::root_from_cr3(*cr3);
    // Under KPTI a vCPU in user mode runs on the user copy, the page after the kernel's PGD.
    if (user_half) {
        root &= ~0x1000ull;
    }
    arch::x86_64::PageTableWalker walker(*kernel.physical(), root, five_level);
    auto translation = walker.translate(kernel_image_start);
    if (!translation) {
        return std::unexpected(translation.error());
    }
    // Walk down to the PD covering __START_KERNEL_map, then look for its first present entry.
    const auto& steps = translation->steps;
    std::uint64_t pd = 0;
    for (const auto& step : steps) {
        if (!step.present || step.large) {
            break;
        }
        if (step.level == "PDPT") {
            pd = step.entry & arch::x86_64::PageTableWalker::address_mask;
        }
    }
    if (pd == 0) {
        return fail("no page directory maps the kernel image at {:#x}", kernel_image_start);
    }
    auto entries = walker.table(pd);
    if (!entries) {
        return std::unexpected(entries.error());
    }
    for (unsigned i = 0; i < 512; ++i) {
        if (((**entries)[i] & 1) != 0) {
            return kernel_image_start + i * two_mib;
        }
    }
    return fail("the kernel image mapping at {:#x} is empty", kernel_image_start);
}

// arm64: VBAR_EL1 holds the runtime address of the exception vectors the CPU uses, image
// symbols unless KPTI's trampoline (in the fixmap) is in front. Which table depends on the
// Spectre-BHB mitigation: `vectors`, or one of the 2 KiB slots of __bp_harden_el1_vectors.
// Each candidate offset is only taken once linux_banner reads back under it.
std::optional<KaslrResult> vbar_offset(Kernel& kernel, eval::RegisterReader& registers,
                                       std::uint64_t banner_address, const std::string& banner,
                                       std::optional<std::uint64_t>& other_kernel) {
    Result<std::uint64_t> vbar = registers.read_register("VBAR_EL1");
    if (!vbar) {
        vbar = registers.read_register("VBAR"); // QEMU 7.2's stub drops the _EL1
    }
    if (!vbar || !arch::is_kernel_address(*vbar)) {
        return std::nullopt;
    }
    std::vector<std::uint64_t> tables;
    const auto& symbols = kernel.info().symbols();
    if (const auto* vectors = symbols.find("vectors")) {
        tables.push_back(vectors->address);
    }
    if (const auto* hardened = symbols.find("__bp_harden_el1_vectors")) {
        for (std::uint64_t slot = 0; slot < 4; ++slot) {
            tables.push_back(hardened->address + slot * 0x800);
        }
    }
    for (std::uint64_t table : tables) {
        if (*vbar < table) {
            continue;
        }
        const std::uint64_t offset = *vbar - table;
        const Banner found = banner_at(kernel, banner_address, offset, banner);
        if (found == Banner::same_kernel) {
            return KaslrResult{offset, "VBAR_EL1"};
        }
        if (found == Banner::other_kernel && !other_kernel) {
            other_kernel = offset;
        }
    }
    return std::nullopt;
}

} // namespace

Result<KaslrResult> detect_kaslr_offset(Kernel& kernel, eval::RegisterReader* registers,
                                        std::optional<std::uint64_t> recorded) {
    auto banner = file_banner(kernel.info());
    if (!banner) {
        return std::unexpected(banner.error());
    }
    const debuginfo::Symbol* banner_symbol = kernel.info().symbols().find("linux_banner");
    const debuginfo::Symbol* text = kernel.info().symbols().find("_text");
    if (banner_symbol == nullptr) {
        return fail("the vmlinux has no symbol 'linux_banner'");
    }
    const std::uint64_t banner_address = banner_symbol->address;
    std::optional<std::uint64_t> other_kernel;
    switch (banner_at(kernel, banner_address, 0, *banner)) {
    case Banner::same_kernel:
        return KaslrResult{0, "none"};
    case Banner::other_kernel:
        other_kernel = 0;
        break;
    case Banner::none:
        break;
    }
    if (recorded && *recorded != 0) {
        const Banner found = banner_at(kernel, banner_address, *recorded, *banner);
        if (found == Banner::same_kernel) {
            return KaslrResult{*recorded, "VMCOREINFO"};
        }
        if (found == Banner::other_kernel && !other_kernel) {
            other_kernel = *recorded;
        }
    }
    if (kernel.architecture().machine != arch::Machine::x86_64) {
        // The page-table walk and the scan below know x86-64's image window only.
        if (registers != nullptr) {
            if (auto found =
                    vbar_offset(kernel, *registers, banner_address, *banner, other_kernel)) {
                return *found;
            }
        }
        if (other_kernel) {
            return KaslrResult{*other_kernel, "none"};
        }
        return fail("linux_banner is not at its link address {:#x}: the image is relocated "
                    "(KASLR) or not mapped, and neither VBAR_EL1 nor VMCOREINFO's KERNELOFFSET "
                    "placed it",
                    banner_address);
    }
    if (registers != nullptr && text != nullptr) {
        for (bool user_half : {false, true}) {
            auto start = mapped_text_start(kernel, *registers, user_half);
            if (!start) {
                continue;
            }
            const std::uint64_t link_start = text->address & ~(two_mib - 1);
            if (*start < link_start) {
                continue;
            }
            const std::uint64_t offset = *start - link_start;
            const Banner found = banner_at(kernel, banner_address, offset, *banner);
            if (found == Banner::same_kernel) {
                return KaslrResult{offset, "page tables"};
            }
            if (found == Banner::other_kernel && !other_kernel) {
                other_kernel = offset;
            }
        }
    }
    // The image stays inside the 1 GiB mapping, so the offset is below that.
    for (std::uint64_t offset = two_mib; banner_address + offset < kernel_image_start + image_span;
         offset += two_mib) {
        const Banner found = banner_at(kernel, banner_address, offset, *banner);
        if (found == Banner::same_kernel) {
            return KaslrResult{offset, "banner scan"};
        }
        if (found == Banner::other_kernel && !other_kernel) {
            other_kernel = offset;
        }
    }
    if (other_kernel) {
        // Another build's banner: keep its offset so the version check can show both banners.
        return KaslrResult{*other_kernel, "banner of another build"};
    }
    return fail("linux_banner (\"{:.40}...\") is nowhere in the kernel image mapping: the vmlinux "
                "does not match the running kernel, or kernel memory is not readable from the "
                "selected vCPU",
                *banner);
}

} // namespace kdive::kernel
