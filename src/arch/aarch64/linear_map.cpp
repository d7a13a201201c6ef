// PAGE_OFFSET is -(1 << VA_BITS) and the linear map its lower half, up to -(1 << (VA_BITS_MIN -
// 1)); VA_BITS_MIN is 48 for kernels built for 52-bit VAs (which may run with 48), else VA_BITS.
#include "arch/aarch64/linear_map.hpp"

#include <bit>

namespace kdive::arch::aarch64 {

namespace {

std::uint64_t top_of(unsigned bits) {
    return ~std::uint64_t{0} << bits;
}

} // namespace

Result<LinearMapLayout> linear_map_layout(const target::VmcoreInfo& info,
                                          std::optional<std::uint64_t> memstart,
                                          std::uint64_t page_struct_size) {
    auto va_bits = info.decimal("NUMBER(VA_BITS)");
    if (!va_bits || *va_bits < 36 || *va_bits > 52) {
        return fail_as(ErrorKind::unsupported,
                       "VMCOREINFO gives no usable NUMBER(VA_BITS): the arm64 linear map's start "
                       "(PAGE_OFFSET) is unknown");
    }
    auto page_size = info.decimal("PAGESIZE").value_or(4096);
    if (page_size != 4096 && page_size != 16384 && page_size != 65536) {
        return fail_as(ErrorKind::corrupt, "VMCOREINFO's PAGESIZE {} is not an arm64 page size",
                       page_size);
    }
    if (!memstart) {
        memstart = info.hex("NUMBER(PHYS_OFFSET)");
    }
    if (!memstart) {
        return fail_as(ErrorKind::unsupported,
                       "neither memstart_addr nor VMCOREINFO's NUMBER(PHYS_OFFSET) is there: "
                       "the arm64 linear map's physical start is unknown");
    }
    if (page_struct_size == 0) {
        return fail_as(ErrorKind::corrupt, "struct page has no size");
    }
    LinearMapLayout layout;
    const auto bits = static_cast<unsigned>(*va_bits);
    layout.page_shift =
        static_cast<unsigned>(std::countr_zero(static_cast<std::uint64_t>(page_size)));
    layout.page_offset = top_of(bits);
    layout.page_end = top_of(std::min(bits, 48u) - 1);
    layout.phys_offset = *memstart;
    if (auto vmemmap = info.hex("SYMBOL(vmemmap)")) {
        layout.vmemmap = *vmemmap;
    } else if (auto start = info.hex("NUMBER(VMEMMAP_START)")) {
        // memstart_addr is an s64: the kernel's shift keeps its sign.
        const auto first_pfn =
            static_cast<std::uint64_t>(static_cast<std::int64_t>(*memstart) >> layout.page_shift);
        layout.vmemmap = *start - first_pfn * page_struct_size;
    } else {
        return fail_as(ErrorKind::unsupported,
                       "VMCOREINFO has neither SYMBOL(vmemmap) nor NUMBER(VMEMMAP_START): the "
                       "arm64 struct page array is not located");
    }
    return layout;
}

} // namespace kdive::arch::aarch64
