// Text and JSON forms of `kmem ADDR`, `kmem -p` and `vmalloc`, apart from reading them, so each
// can be tested with hostile guest strings.
#pragma once

#include "kernel/address_owner.hpp"
#include "kernel/page_info.hpp"
#include "kernel/vmalloc_areas.hpp"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace kdive::cli {

// Names a code address ("vmalloc_node+0x2a" or "dummy_init+0x10 [dummy]"); hex when nothing does.
using CodeNamer = std::function<std::string(std::uint64_t)>;

// `kmem ADDR`: {address, kind, ...} with the kind's own members and `page` when a page holds it.
std::string address_owner_json(const kernel::AddressOwner& owner, const CodeNamer& name);
std::string address_owner_text(const kernel::AddressOwner& owner, const CodeNamer& name);

// `kmem -p`: {pfn, page, physical, flags, flag_names, type, mapping, index, refcount, mapcount,
// head, slab}, and crash's PAGE / PHYSICAL / MAPPING / INDEX / CNT / FLAGS row.
std::string page_json(const kernel::PageInfo& page);
std::string page_text(const kernel::PageInfo& page);

// `vmalloc`: [{start, end, size, caller, pages, phys_addr, kinds, area, vm}] and
// /proc/vmallocinfo's lines.
std::string vmalloc_areas_json(const std::vector<kernel::VmallocArea>& areas,
                               const CodeNamer& name);
std::string vmalloc_areas_text(const std::vector<kernel::VmallocArea>& areas,
                               const CodeNamer& name);

} // namespace kdive::cli
