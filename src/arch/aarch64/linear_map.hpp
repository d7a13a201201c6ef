// arm64's linear map of RAM and its struct page array (vmemmap) as asm/memory.h lays them out:
// PAGE_OFFSET from the VA size the kernel was built for, PHYS_OFFSET (memstart_addr) at its
// start, and vmemmap, from what the kernel publishes in VMCOREINFO.
#pragma once

#include "support/error.hpp"
#include "target/vmcore_info.hpp"

#include <cstdint>
#include <optional>

namespace kdive::arch::aarch64 {

struct LinearMapLayout {
    std::uint64_t page_offset = 0; // PAGE_OFFSET: where PHYS_OFFSET is mapped
    std::uint64_t page_end = 0;    // the linear map's end (_PAGE_END(VA_BITS_MIN))
    std::uint64_t phys_offset = 0; // PHYS_OFFSET (memstart_addr)
    std::uint64_t vmemmap = 0;     // where PFN 0's struct page would be (vmemmap)
    unsigned page_shift = 12;
};

// `memstart`: memstart_addr as the kernel holds it, else VMCOREINFO's NUMBER(PHYS_OFFSET). A
// kernel built for 52-bit VAs that runs with 48 lowers it by the two PAGE_OFFSETs' difference
// (arm64_memblock_init), so it may look negative; the arithmetic below wraps as the kernel's.
// vmemmap is SYMBOL(vmemmap) where VMCOREINFO has it (6.5+), else NUMBER(VMEMMAP_START) less
// PHYS_OFFSET's PFN in struct pages; an error names what VMCOREINFO lacks.
Result<LinearMapLayout> linear_map_layout(const target::VmcoreInfo& info,
                                          std::optional<std::uint64_t> memstart,
                                          std::uint64_t page_struct_size);

} // namespace kdive::arch::aarch64
