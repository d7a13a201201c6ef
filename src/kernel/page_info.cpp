// Page flags and types are named from the vmlinux's own enums (pageflags, pagetype), so a kernel
// that renumbers or renames them is decoded as it is; the flag word's upper bits (zone, node,
// section) are masked off at __NR_PAGEFLAGS.
#include "kernel/page_info.hpp"

#include <algorithm>

namespace kdive::kernel {

namespace {

constexpr unsigned type_shift = 24; // 6.12+: the page type is page_type's top byte
constexpr std::uint32_t no_type = 0xff;

std::string lowercase_without_prefix(std::string_view name, std::string_view prefix) {
    if (name.starts_with(prefix)) {
        name.remove_prefix(prefix.size());
    }
    std::string out(name);
    std::ranges::transform(out, out.begin(), [](unsigned char c) { return std::tolower(c); });
    return out;
}

} // namespace

Result<PageMap> PageMap::load(Kernel& kernel) {
    PageMap map(kernel);
    auto layout = kernel.layout("page");
    if (!layout) {
        return std::unexpected(layout.error());
    }
    const StructLayout& page = **layout;
    map.page_struct_size_ = page.size();
    if (map.page_struct_size_ == 0) {
        return fail_as(ErrorKind::corrupt, "struct page has no size in the debug info");
    }
    auto linear = read_linear_map(kernel, map.page_struct_size_);
    if (!linear) {
        return std::unexpected(linear.error());
    }
    map.map_ = *linear;
    for (auto [path, into] :
         {std::pair{"flags", &map.flags_offset_},
          {"mapping", &map.mapping_offset_},
          // 7.x renamed it compound_info (a head pointer or a mask).
          {page.has("compound_head") ? "compound_head" : "compound_info", &map.head_offset_},
          {"_refcount", &map.refcount_offset_},
          {"_mapcount", &map.mapcount_offset_}}) {
        auto offset = page.offset(path);
        if (!offset) {
            return std::unexpected(offset.error());
        }
        *into = *offset;
    }
    // 6.16 renamed page->index to __folio_index.
    auto index = page.offset(page.has("index") ? "index" : "__folio_index");
    if (!index) {
        return std::unexpected(index.error());
    }
    map.index_offset_ = *index;
    if (auto ok = map.load_flag_names(); !ok) {
        return std::unexpected(ok.error());
    }
    return map;
}

Result<> PageMap::load_flag_names() {
    debuginfo::DebugInfo& info = kernel_->info();
    auto locked = info.find_enumerator("PG_locked");
    auto count = info.find_enumerator("__NR_PAGEFLAGS");
    if (!locked || locked->type == nullptr || !count) {
        return fail_as(ErrorKind::unsupported,
                       "the debug info has no enum pageflags (PG_locked, __NR_PAGEFLAGS)");
    }
    nr_page_flags_ = static_cast<std::uint32_t>(std::clamp<std::int64_t>(count->value, 0, 64));
    flag_names_.assign(nr_page_flags_, "");
    for (const auto& enumerator : locked->type->enumerators) {
        // Aliases (PG_checked for PG_owner_priv_1) follow the first name of their bit.
        if (enumerator.value >= 0 && enumerator.value < nr_page_flags_ &&
            !enumerator.name.starts_with("__") && flag_names_[enumerator.value].empty()) {
            flag_names_[enumerator.value] = lowercase_without_prefix(enumerator.name, "PG_");
        }
        if (enumerator.name == "PG_slab") {
            slab_bit_ = static_cast<std::uint32_t>(enumerator.value);
        }
    }
    if (auto slab = info.find_enumerator("PGTY_slab"); slab && slab->type != nullptr) {
        slab_type_ = static_cast<std::uint32_t>(slab->value);
        for (const auto& enumerator : slab->type->enumerators) {
            if (enumerator.name.starts_with("PGTY_") && enumerator.value >= 0 &&
                enumerator.value < no_type) {
                top_byte_types_.emplace_back(static_cast<std::uint32_t>(enumerator.value),
                                             lowercase_without_prefix(enumerator.name, "PGTY_"));
            }
        }
    }
    return {};
}

std::optional<std::uint64_t> PageMap::direct_pfn(std::uint64_t address) const {
    auto physical = map_.physical_of(address);
    if (!physical) {
        return std::nullopt;
    }
    return *physical >> map_.page_shift;
}

// A tail page's word is its head's address | 1, or (7.x, for vmemmap-optimised folios) an
// address mask | 1 that the tail's own address is ANDed with.
std::uint64_t PageMap::head_of(std::uint64_t page, std::uint64_t word) const {
    if ((word & 1) == 0) {
        return page;
    }
    const auto valid = [&](std::uint64_t head) {
        return head < page && pfn_of_page_struct(head).has_value() &&
               (head - map_.vmemmap) % page_struct_size_ == 0;
    };
    if (valid(word - 1)) {
        return word - 1;
    }
    if (valid(page & word)) {
        return page & word;
    }
    return page;
}

Result<PageInfo> PageMap::read(std::uint64_t pfn) {
    if (pfn >= map_.end_pfn) {
        return fail_as(ErrorKind::invalid_input, "PFN {:#x} is beyond max_pfn ({:#x})", pfn,
                       map_.end_pfn);
    }
    if (pfn < map_.first_pfn) {
        return fail_as(ErrorKind::invalid_input, "PFN {:#x} is below RAM's first ({:#x})", pfn,
                       map_.first_pfn);
    }
    PageInfo info;
    info.pfn = pfn;
    info.page = page_of(pfn);
    auto record = kernel_->read(info.page, page_struct_size_);
    if (!record) {
        return wrap(record.error(), fmt::format("reading the struct page of PFN {:#x}", pfn));
    }
    info.flags = record->u64(flags_offset_);
    const std::uint64_t mask =
        nr_page_flags_ >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << nr_page_flags_) - 1;
    for (std::uint32_t bit = 0; bit < nr_page_flags_; ++bit) {
        if ((info.flags & mask & (std::uint64_t{1} << bit)) != 0) {
            info.flag_names.push_back(flag_names_[bit].empty() ? fmt::format("bit{}", bit)
                                                               : flag_names_[bit]);
        }
    }
    info.mapping = record->u64(mapping_offset_);
    info.index = record->u64(index_offset_);
    info.refcount = static_cast<std::int32_t>(record->u32(refcount_offset_));
    const std::uint32_t page_type = record->u32(mapcount_offset_);
    const std::uint64_t head_word = record->u64(head_offset_);
    info.head = head_of(info.page, head_word);

    const auto type_of = [this](std::uint32_t word) -> std::string {
        const std::uint32_t top = word >> type_shift;
        for (const auto& [value, name] : top_byte_types_) {
            if (value == top) {
                return name;
            }
        }
        return "";
    };
    if (!top_byte_types_.empty()) {
        info.type = type_of(page_type);
    }
    info.mapcount = info.type.empty() ? static_cast<std::int32_t>(page_type) + 1 : 0;

    // Slab-ness is the head page's: a tail of a multi-page slab carries neither flag nor type.
    std::uint64_t head_flags = info.flags;
    std::uint32_t head_type = page_type;
    if (info.head != info.page) {
        auto head = kernel_->read(info.head, page_struct_size_);
        if (!head) {
            return wrap(head.error(), fmt::format("reading the compound head {:#x} of PFN {:#x}",
                                                  info.head, pfn));
        }
        head_flags = head->u64(flags_offset_);
        head_type = head->u32(mapcount_offset_);
    }
    if (slab_type_) {
        info.slab = (head_type >> type_shift) == *slab_type_;
    } else if (slab_bit_) {
        info.slab = (head_flags & (std::uint64_t{1} << *slab_bit_)) != 0;
    }
    return info;
}

} // namespace kdive::kernel
