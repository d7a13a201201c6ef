// x86-64 address translation for targets that serve physical memory: the kernel's own page
// tables (init_top_pgt, from VMCOREINFO or a vCPU's CR3) for kernel addresses, the vCPU's CR3
// for user addresses. Table pages and translations are cached until invalidate().
#pragma once

#include "arch/physical_reader.hpp"
#include "arch/x86_64/page_table_walker.hpp"
#include "target/address_translator.hpp"
#include "target/target.hpp"
#include "target/vmcore_info.hpp"

#include <memory>
#include <optional>
#include <unordered_map>

namespace kdive::arch::x86_64 {

// The physical address of init_top_pgt that VMCOREINFO describes (its SYMBOL and phys_base).
std::optional<std::uint64_t> kernel_root_from_vmcoreinfo(const target::VmcoreInfo& info);

class KernelPageTables final : public target::AddressTranslator, private PhysicalReader {
public:
    // `target` serves physical memory and, for the vCPU being translated for (its selected
    // one), CR3/CR4. Without `kernel_root`, kernel addresses go through that vCPU's CR3 too
    // (every process's top table shares the kernel half).
    KernelPageTables(target::Target& target, std::optional<std::uint64_t> kernel_root,
                     std::optional<bool> five_level = std::nullopt);

    Result<target::PhysicalRun> translate(std::uint64_t address, int vcpu) override;
    void invalidate() override;

private:
    Result<std::vector<std::byte>> read_physical(std::uint64_t address,
                                                 std::size_t length) override;
    struct VcpuPaging {
        bool paging = true; // CR0.PG: without it virtual addresses are physical
        std::uint64_t root = 0;
        bool five_level = false;
    };
    // The vCPU's translation regime, read from its registers once per invalidate().
    Result<VcpuPaging> paging_of(int vcpu);
    Result<PageTableWalker*> walker_for(std::uint64_t root, bool five_level);
    // Present entries in the kernel half of a top-level table.
    Result<int> kernel_half_entries(std::uint64_t root);

    target::Target& target_;
    std::optional<std::uint64_t> kernel_root_;
    std::optional<bool> five_level_;
    std::unordered_map<std::uint64_t, std::unique_ptr<PageTableWalker>> walkers_; // by root
    std::unordered_map<int, VcpuPaging> vcpus_;
    struct Cached {
        std::uint64_t physical_page = 0;
        std::uint64_t page_size = 0;
    };
    // (root, virtual page) -> physical page; absent pages are not cached.
    std::unordered_map<std::uint64_t, std::unordered_map<std::uint64_t, Cached>> pages_;
};

} // namespace kdive::arch::x86_64
