// The page frames of RAM's direct (linear) map: which struct page an address or PFN has, and that
// page decoded — flags by the kernel's own enum pageflags names, the page type (slab, buddy...)
// of kernels that keep one, mapping, index, reference and map counts, compound head.
#pragma once

#include "kernel/kernel.hpp"
#include "kernel/linear_map.hpp"
#include "support/error.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace kdive::kernel {

struct PageInfo {
    std::uint64_t pfn = 0;
    std::uint64_t page = 0;              // struct page
    std::uint64_t flags = 0;             // the whole word: zone, node and section bits included
    std::vector<std::string> flag_names; // "locked", "slab"... (PG_ dropped, as crash does)
    std::string type; // the page type of 6.10+ ("slab", "buddy"...); "" when none
    std::uint64_t mapping = 0;
    std::uint64_t index = 0;
    std::int32_t refcount = 0;
    std::int32_t mapcount = 0; // _mapcount + 1 for pages without a type
    std::uint64_t head = 0;    // the compound head's struct page; this page when not a tail
    bool slab = false;         // a slab page (by the head's flag or type)
};

class PageMap {
public:
    // Reads the linear map's layout (read_linear_map) and struct page's layout.
    static Result<PageMap> load(Kernel& kernel);

    const LinearMap& linear_map() const { return map_; }
    std::uint64_t min_pfn() const { return map_.first_pfn; }
    std::uint64_t max_pfn() const { return map_.end_pfn; }
    std::uint64_t page_size() const { return map_.page_size(); }
    // The direct map's address of a PFN, and back; nullopt outside the direct map's RAM.
    std::uint64_t pfn_to_virtual(std::uint64_t pfn) const {
        return map_.virtual_of(pfn << map_.page_shift);
    }
    std::optional<std::uint64_t> direct_pfn(std::uint64_t address) const;
    std::uint64_t page_of(std::uint64_t pfn) const {
        return map_.vmemmap + pfn * page_struct_size_;
    }
    // The PFN whose struct page holds `address` (an address inside the vmemmap array).
    std::optional<std::uint64_t> pfn_of_page_struct(std::uint64_t address) const {
        return map_.pfn_of_page_struct(address, page_struct_size_);
    }
    std::uint64_t page_struct_size() const { return page_struct_size_; }

    Result<PageInfo> read(std::uint64_t pfn);

private:
    explicit PageMap(Kernel& kernel) : kernel_(&kernel) {}
    Result<> load_flag_names();
    std::uint64_t head_of(std::uint64_t page, std::uint64_t word) const;

    Kernel* kernel_;
    LinearMap map_;
    std::uint64_t page_struct_size_ = 64;
    std::uint64_t flags_offset_ = 0, mapping_offset_ = 0, index_offset_ = 0, head_offset_ = 0;
    std::uint64_t refcount_offset_ = 0, mapcount_offset_ = 0;
    std::uint32_t nr_page_flags_ = 0;
    std::vector<std::string> flag_names_;   // by bit
    std::optional<std::uint32_t> slab_bit_; // PG_slab, before page types held it
    // Page types: 6.12+ keep the type in page_type's top byte (PGTY_*); 6.10-6.11 as cleared
    // bits under PAGE_TYPE_BASE.
    std::vector<std::pair<std::uint32_t, std::string>> top_byte_types_;
    std::optional<std::uint32_t> slab_type_; // PGTY_slab
};

} // namespace kdive::kernel
