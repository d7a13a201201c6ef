// Symbol relocation, struct layout lookup and typed reads shared by every kernel helper.
#include "kernel/kernel.hpp"

#include <algorithm>

namespace kdive::kernel {

const arch::Architecture& Kernel::architecture() const {
    return info_.architecture();
}

std::uint64_t Kernel::relocate(std::uint64_t file_address) const {
    if (info_.image_range().contains(file_address)) {
        return file_address + kaslr_offset_;
    }
    return file_address;
}

std::uint64_t Kernel::unrelocate(std::uint64_t runtime_address) const {
    const auto image = info_.image_range();
    if (runtime_address >= image.start + kaslr_offset_ &&
        runtime_address < image.end + kaslr_offset_) {
        return runtime_address - kaslr_offset_;
    }
    return runtime_address;
}

std::string Kernel::symbol_at(std::uint64_t runtime_address) {
    if (runtime_address == 0) {
        return "";
    }
    auto hit = info_.symbols().lookup(unrelocate(runtime_address));
    if (!hit || hit->symbol == nullptr || hit->offset != 0) {
        return "";
    }
    return std::string(hit->symbol->name);
}

bool Kernel::has_symbol(std::string_view name) {
    return info_.symbols().find(name) != nullptr;
}

Result<std::uint64_t> Kernel::address_of(std::string_view name) {
    const debuginfo::Symbol* symbol = info_.symbols().find(name);
    if (symbol == nullptr) {
        return fail("the vmlinux has no symbol '{}'", name);
    }
    return relocate(symbol->address);
}

Result<debuginfo::Variable> Kernel::variable(std::string_view name) {
    auto found = info_.find_variable(name);
    if (!found) {
        return std::unexpected(found.error());
    }
    found->address = relocate(found->address);
    return found;
}

Result<const StructLayout*> Kernel::layout(std::string_view struct_name) {
    if (const StructLayout* found = find_layout(struct_name)) {
        return found;
    }
    return fail("the debug info does not describe struct {}", struct_name);
}

const StructLayout* Kernel::find_layout(std::string_view struct_name) {
    if (auto found = layouts_.find(struct_name); found != layouts_.end()) {
        return found->second.get();
    }
    auto layout = StructLayout::find(info_, struct_name);
    if (!layout) {
        return nullptr;
    }
    auto stored = std::make_unique<StructLayout>(std::move(*layout));
    const StructLayout* out = stored.get();
    layouts_.emplace(std::string(struct_name), std::move(stored));
    return out;
}

Result<std::uint64_t> Kernel::read_member(std::uint64_t address, std::string_view type,
                                          std::string_view member) {
    auto found = layout(type);
    if (!found) {
        return std::unexpected(found.error());
    }
    auto field = (*found)->require(member);
    if (!field) {
        return std::unexpected(field.error());
    }
    auto record = read(address + field->offset, std::min<std::uint64_t>(field->size, 8));
    if (!record) {
        return wrap(record.error(), fmt::format("reading {}.{} at {:#x}", type, member, address));
    }
    Field local = *field;
    local.offset = 0;
    return record->get(local);
}

Result<Record> Kernel::read(std::uint64_t address, std::size_t length) {
    auto bytes = memory_.read(address, length);
    if (!bytes) {
        return std::unexpected(bytes.error());
    }
    return Record(std::move(*bytes), address);
}

Result<std::uint64_t> Kernel::read_global_u64(std::string_view name) {
    auto at = address_of(name);
    if (!at) {
        return std::unexpected(at.error());
    }
    auto value = read_u64(*at);
    if (!value) {
        return wrap(value.error(), fmt::format("reading {}", name));
    }
    return *value;
}

Result<std::uint64_t> Kernel::read_u64(std::uint64_t address) {
    auto record = read(address, 8);
    if (!record) {
        return std::unexpected(record.error());
    }
    return record->u64(0);
}

Result<std::uint32_t> Kernel::read_u32(std::uint64_t address) {
    auto record = read(address, 4);
    if (!record) {
        return std::unexpected(record.error());
    }
    return record->u32(0);
}

Result<std::string> Kernel::read_c_string(std::uint64_t address, std::size_t max) {
    std::string out;
    while (out.size() < max) {
        // Stop each piece at a page end: the next page may be unmapped.
        const std::uint64_t at = address + out.size();
        const std::size_t chunk = std::min<std::size_t>(max - out.size(), 4096 - at % 4096);
        auto bytes = memory_.read(at, chunk);
        if (!bytes) {
            return std::unexpected(bytes.error());
        }
        for (std::byte b : *bytes) {
            if (b == std::byte{0}) {
                return out;
            }
            out.push_back(static_cast<char>(b));
        }
    }
    return out;
}

} // namespace kdive::kernel
