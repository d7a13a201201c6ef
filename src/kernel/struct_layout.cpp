// Walks member paths through the type model; nested and anonymous members add their offsets.
#include "kernel/struct_layout.hpp"

#include "eval/expression_evaluator.hpp"

namespace kdive::kernel {

using debuginfo::strip_typedefs;
using debuginfo::Type;
using debuginfo::TypeKind;
using debuginfo::TypeTag;

Result<StructLayout> StructLayout::find(debuginfo::DebugInfo& info, std::string_view name) {
    const Type* type = info.find_type(name, TypeTag::struct_tag);
    if (type == nullptr || type->declaration) {
        return fail("the debug info does not describe struct {}", name);
    }
    return StructLayout(&info, type, std::string(name));
}

StructLayout::StructLayout(debuginfo::DebugInfo* info, const Type* type, std::string name)
    : info_(info), type_(strip_typedefs(type)), name_(std::move(name)) {}

const Type* StructLayout::complete(const Type* type) const {
    type = strip_typedefs(type);
    // A member typed by a forward declaration: the definition lives elsewhere in the debug info.
    if (type->declaration && info_ != nullptr && !type->name.empty()) {
        const TypeTag tag =
            type->kind == TypeKind::union_type ? TypeTag::union_tag : TypeTag::struct_tag;
        if (const Type* found = info_->find_type(type->name, tag); found != nullptr) {
            return strip_typedefs(found);
        }
    }
    return type;
}

std::optional<Field> StructLayout::field(std::string_view path) const {
    const Type* current = type_;
    Field out;
    std::uint64_t bits = 0;
    while (!path.empty()) {
        const auto dot = path.find('.');
        const std::string_view name = path.substr(0, dot);
        path = dot == std::string_view::npos ? std::string_view{} : path.substr(dot + 1);
        current = complete(current);
        if (!current->is_composite()) {
            return std::nullopt;
        }
        auto member = eval::find_member(current, name);
        if (!member) {
            return std::nullopt;
        }
        bits += member->bit_offset;
        out.bit_size = member->bit_size;
        current = member->type;
    }
    current = complete(current);
    out.type = current;
    out.offset = bits / 8;
    if (out.bit_size != 0) {
        out.bit_offset = static_cast<std::uint32_t>(bits % 8);
        out.size = (out.bit_offset + out.bit_size + 7) / 8;
    } else {
        out.size = current->size;
    }
    return out;
}

Result<Field> StructLayout::require(std::string_view path) const {
    if (auto found = field(path)) {
        return *found;
    }
    return fail("struct {} has no member '{}' in this kernel's debug info", name_, path);
}

Result<std::uint64_t> StructLayout::offset(std::string_view path) const {
    auto found = require(path);
    if (!found) {
        return std::unexpected(found.error());
    }
    return found->offset;
}

} // namespace kdive::kernel
