// sect_attrs->grp.bin_attrs is a NULL-terminated list of one bin_attribute per section, named
// after it. From 5.8 to early 2025 each sat inside a struct module_sect_attr next to its
// `address`; the 2025 sysfs rework dropped that struct and keeps the address in the
// bin_attribute's `private` pointer (the sid kernel here). Which one applies is read from the
// debug info.
#include "kernel/module_sections.hpp"

namespace kdive::kernel {

namespace {

// A module has a few dozen sections; more means the list is not what we think it is.
constexpr std::size_t max_sections = 1024;

} // namespace

Result<SectionAddresses> read_module_sections(Kernel& kernel, std::uint64_t module,
                                              std::string_view name) {
    auto mod = kernel.layout("module");
    if (!mod) {
        return std::unexpected(mod.error());
    }
    auto sect_attrs = (*mod)->require("sect_attrs");
    auto attrs = kernel.layout("module_sect_attrs");
    auto group = kernel.layout("attribute_group");
    auto bin = kernel.layout("bin_attribute");
    if (!sect_attrs || !attrs || !group || !bin) {
        return fail("module {}: this kernel keeps no section addresses ({})", name,
                    !sect_attrs ? sect_attrs.error().message
                                : (!attrs   ? attrs.error()
                                   : !group ? group.error()
                                            : bin.error())
                                      .message);
    }
    auto grp = (*attrs)->require("grp");
    auto bin_attrs = (*group)->require("bin_attrs");
    auto attr_name = (*bin)->require("attr.name");
    if (!grp || !bin_attrs || !attr_name) {
        return fail("module {}: unexpected section attribute layout", name);
    }
    // Before 6.15: the address follows the bin_attribute inside module_sect_attr.
    std::optional<Field> address_field;
    if (const StructLayout* sect = kernel.find_layout("module_sect_attr")) {
        auto battr = sect->require("battr");
        auto address = sect->require("address");
        if (!battr || !address) {
            return fail("module {}: unexpected module_sect_attr layout", name);
        }
        address_field = *address;
        address_field->offset -= battr->offset; // relative to the bin_attribute
    } else if (auto priv = (*bin)->field("private")) {
        address_field = *priv;
    } else {
        return fail("module {}: no section address in bin_attribute", name);
    }

    auto attrs_address = kernel.read_u64(module + sect_attrs->offset);
    if (!attrs_address) {
        return wrap(attrs_address.error(), fmt::format("module {}: reading sect_attrs", name));
    }
    if (*attrs_address == 0) {
        return fail("module {} has no section attributes (still loading?)", name);
    }
    auto list = kernel.read_u64(*attrs_address + grp->offset + bin_attrs->offset);
    if (!list) {
        return wrap(list.error(), fmt::format("module {}: reading its section list", name));
    }
    SectionAddresses sections;
    for (std::size_t i = 0;; ++i) {
        if (i == max_sections) {
            return fail("module {}: section list at {:#x} does not end after {} entries", name,
                        *list, max_sections);
        }
        auto attribute = kernel.read_u64(*list + 8 * i);
        if (!attribute) {
            return wrap(attribute.error(), fmt::format("module {}: section list", name));
        }
        if (*attribute == 0) {
            break;
        }
        auto name_pointer = kernel.read_u64(*attribute + attr_name->offset);
        auto address = kernel.read_u64(*attribute + address_field->offset);
        if (!name_pointer || !address) {
            return wrap(!name_pointer ? name_pointer.error() : address.error(),
                        fmt::format("module {}: section attribute at {:#x}", name, *attribute));
        }
        auto section = kernel.read_c_string(*name_pointer, 256);
        if (!section) {
            return wrap(section.error(), fmt::format("module {}: section name", name));
        }
        sections.emplace(std::move(*section), *address);
    }
    return sections;
}

} // namespace kdive::kernel
