// Where the kernel maps all of RAM (x86-64's direct map, arm64's linear map) and where its
// struct page array (vmemmap) lies, read from the kernel's own variables and VMCOREINFO.
#pragma once

#include "kernel/kernel.hpp"
#include "support/error.hpp"

#include <cstdint>
#include <optional>

namespace kdive::kernel {

struct LinearMap {
    std::uint64_t virtual_base = 0;  // the map's address of physical_base
    std::uint64_t virtual_end = 0;   // the map's end, exclusive (0: to the top)
    std::uint64_t physical_base = 0; // x86-64: 0; arm64: PHYS_OFFSET (memstart_addr)
    std::uint64_t vmemmap = 0;       // where PFN 0's struct page is (or would be)
    std::uint64_t first_pfn = 0;     // RAM's lowest PFN (min_low_pfn)
    std::uint64_t end_pfn = 0;       // past RAM's highest PFN (max_pfn)
    unsigned page_shift = 12;

    std::uint64_t page_size() const { return std::uint64_t{1} << page_shift; }
    std::uint64_t virtual_of(std::uint64_t physical) const {
        return virtual_base + (physical - physical_base);
    }
    // The physical address of a map address; nullopt outside the map or RAM's PFNs.
    std::optional<std::uint64_t> physical_of(std::uint64_t address) const;
    // The PFN whose struct page holds `address` (inside the array); nullopt outside RAM's PFNs.
    std::optional<std::uint64_t> pfn_of_page_struct(std::uint64_t address,
                                                    std::uint64_t page_struct_size) const;
};

// x86-64: page_offset_base and vmemmap_base (their fixed 4-level values where the kernel has
// no dynamic memory layout); arm64: VMCOREINFO with memstart_addr. max_pfn and min_low_pfn
// bound RAM on both.
Result<LinearMap> read_linear_map(Kernel& kernel, std::uint64_t page_struct_size);

} // namespace kdive::kernel
