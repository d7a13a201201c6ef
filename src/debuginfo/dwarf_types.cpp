// Converts DWARF DIEs into the shared type model on first use.
#include "debuginfo/dwarf_types.hpp"

#include <dwarf.h>
#include <elfutils/libdw.h>

namespace kdive::debuginfo {

namespace {

std::optional<std::uint64_t> udata(Dwarf_Die* die, unsigned attribute) {
    Dwarf_Attribute attr;
    Dwarf_Word value = 0;
    if (dwarf_attr_integrate(die, attribute, &attr) == nullptr ||
        dwarf_formudata(&attr, &value) != 0) {
        return std::nullopt;
    }
    return value;
}

// Array bounds: GCC writes small unsigned bounds as data1 (203 must not read as -53) and
// the -1 of `x[0]` as sdata or an all-ones data8.
std::optional<std::int64_t> bound(Dwarf_Die* die, unsigned attribute) {
    Dwarf_Attribute attr;
    if (dwarf_attr(die, attribute, &attr) == nullptr) {
        return std::nullopt;
    }
    const unsigned form = dwarf_whatform(&attr);
    if (form == DW_FORM_sdata || form == DW_FORM_implicit_const) {
        Dwarf_Sword value = 0;
        if (dwarf_formsdata(&attr, &value) != 0) {
            return std::nullopt;
        }
        return value;
    }
    Dwarf_Word value = 0;
    if (dwarf_formudata(&attr, &value) != 0) {
        return std::nullopt;
    }
    return static_cast<std::int64_t>(value);
}

std::string name_of(Dwarf_Die* die) {
    const char* name = dwarf_diename(die);
    return name != nullptr ? name : "";
}

IntEncoding encoding_of(Dwarf_Die* die) {
    switch (udata(die, DW_AT_encoding).value_or(DW_ATE_signed)) {
    case DW_ATE_boolean:
        return IntEncoding::boolean;
    case DW_ATE_signed_char:
        return IntEncoding::signed_char;
    case DW_ATE_unsigned_char:
        return IntEncoding::unsigned_char;
    case DW_ATE_unsigned:
        return IntEncoding::unsigned_int;
    default:
        return IntEncoding::signed_int;
    }
}

} // namespace

const Type* DwarfTypes::own(Type type) const {
    extra_.push_back(std::make_unique<Type>(std::move(type)));
    return extra_.back().get();
}

LazyType DwarfTypes::type_attribute(Dwarf_Die* die) const {
    Dwarf_Attribute attr;
    Dwarf_Die target;
    if (dwarf_attr_integrate(die, DW_AT_type, &attr) == nullptr ||
        dwarf_formref_die(&attr, &target) == nullptr) {
        static const Type void_type = [] {
            Type t;
            t.kind = TypeKind::void_type;
            t.name = "void";
            return t;
        }();
        return LazyType(&void_type);
    }
    return LazyType(this, dwarf_dieoffset(&target));
}

const Type* DwarfTypes::load(std::uint64_t offset) const {
    auto it = converted_.find(offset);
    if (it != converted_.end()) {
        return it->second.get();
    }
    Dwarf_Die die;
    if (dwarf_offdie(dwarf_, offset, &die) == nullptr) {
        return unknown_type();
    }
    // Registered before conversion so that recursive references find this node.
    Type* node = converted_.emplace(offset, std::make_unique<Type>()).first->second.get();
    *node = convert(&die);
    return node;
}

Type DwarfTypes::convert(Dwarf_Die* die) const {
    Type type;
    type.name = name_of(die);
    type.size = udata(die, DW_AT_byte_size).value_or(0);
    type.declaration = dwarf_hasattr_integrate(die, DW_AT_declaration) != 0;
    switch (dwarf_tag(die)) {
    case DW_TAG_base_type: {
        const auto encoding = udata(die, DW_AT_encoding).value_or(DW_ATE_signed);
        if (encoding == DW_ATE_float || encoding == DW_ATE_complex_float) {
            type.kind = TypeKind::floating;
        } else {
            type.kind = TypeKind::integer;
            type.encoding = encoding_of(die);
        }
        type.name = canonical_base_type_name(type.name);
        break;
    }
    case DW_TAG_unspecified_type:
        type.kind = TypeKind::void_type;
        type.name = "void";
        break;
    case DW_TAG_pointer_type:
    case DW_TAG_reference_type:
        type.kind = TypeKind::pointer;
        type.size = type.size == 0 ? 8 : type.size;
        type.target = type_attribute(die);
        break;
    case DW_TAG_structure_type:
    case DW_TAG_class_type:
    case DW_TAG_union_type:
        type.kind =
            dwarf_tag(die) == DW_TAG_union_type ? TypeKind::union_type : TypeKind::structure;
        convert_members(die, type);
        if (type.declaration && !type.name.empty()) {
            // Follow a forward declaration to the unit that defines the type.
            auto definition =
                find_name_(type.kind == TypeKind::union_type ? DwarfNameKind::union_tag
                                                             : DwarfNameKind::struct_tag,
                           type.name);
            if (definition && *definition != dwarf_dieoffset(die)) {
                return *load(*definition);
            }
        }
        break;
    case DW_TAG_enumeration_type: {
        type.kind = TypeKind::enumeration;
        const Type* underlying = strip_typedefs(type_attribute(die).get());
        type.encoding = underlying->kind == TypeKind::integer ? underlying->encoding
                                                              : IntEncoding::unsigned_int;
        Dwarf_Die child;
        if (dwarf_child(die, &child) == 0) {
            do {
                if (dwarf_tag(&child) != DW_TAG_enumerator) {
                    continue;
                }
                Dwarf_Attribute attr;
                std::int64_t value = 0;
                if (dwarf_attr(&child, DW_AT_const_value, &attr) != nullptr) {
                    const unsigned form = dwarf_whatform(&attr);
                    if (form == DW_FORM_sdata || form == DW_FORM_implicit_const ||
                        type.encoding == IntEncoding::signed_int) {
                        Dwarf_Sword s = 0;
                        dwarf_formsdata(&attr, &s);
                        value = s;
                    } else {
                        Dwarf_Word u = 0;
                        dwarf_formudata(&attr, &u);
                        value = static_cast<std::int64_t>(u);
                    }
                }
                type.enumerators.push_back(Enumerator{name_of(&child), value});
            } while (dwarf_siblingof(&child, &child) == 0);
        }
        break;
    }
    case DW_TAG_typedef:
        type.kind = TypeKind::typedef_type;
        type.target = type_attribute(die);
        type.size = strip_typedefs(type.target.get())->size;
        break;
    case DW_TAG_const_type:
    case DW_TAG_volatile_type:
    case DW_TAG_restrict_type: {
        const int tag = dwarf_tag(die);
        type.kind = tag == DW_TAG_const_type      ? TypeKind::const_type
                    : tag == DW_TAG_volatile_type ? TypeKind::volatile_type
                                                  : TypeKind::restrict_type;
        type.target = type_attribute(die);
        type.size = strip_typedefs(type.target.get())->size;
        type.name.clear();
        break;
    }
    case DW_TAG_atomic_type:
        // _Atomic has no effect on how a debugger reads the value.
        return *type_attribute(die).get();
    case DW_TAG_array_type:
        convert_array(die, type);
        break;
    case DW_TAG_subroutine_type:
    case DW_TAG_subprogram:
        type.name.clear();
        convert_function(die, type);
        break;
    case DW_TAG_variable:
    case DW_TAG_formal_parameter:
    case DW_TAG_member:
        return *type_attribute(die).get();
    default:
        return *unknown_type();
    }
    return type;
}

void DwarfTypes::convert_members(Dwarf_Die* die, Type& type) const {
    Dwarf_Die child;
    if (dwarf_child(die, &child) != 0) {
        return;
    }
    do {
        if (dwarf_tag(&child) != DW_TAG_member) {
            continue;
        }
        Member member;
        member.name = name_of(&child);
        member.type = type_attribute(&child);
        const std::uint64_t byte_offset = udata(&child, DW_AT_data_member_location).value_or(0);
        member.bit_size = static_cast<std::uint32_t>(udata(&child, DW_AT_bit_size).value_or(0));
        if (auto data_bit_offset = udata(&child, DW_AT_data_bit_offset)) {
            member.bit_offset = *data_bit_offset;
        } else if (auto legacy = udata(&child, DW_AT_bit_offset); legacy && member.bit_size > 0) {
            // DWARF 2/3 count from the most significant bit of the storage unit.
            const std::uint64_t storage =
                udata(&child, DW_AT_byte_size).value_or(member.type.get()->size);
            member.bit_offset = byte_offset * 8 + storage * 8 - *legacy - member.bit_size;
        } else {
            member.bit_offset = byte_offset * 8;
        }
        type.members.push_back(std::move(member));
    } while (dwarf_siblingof(&child, &child) == 0);
}

void DwarfTypes::convert_array(Dwarf_Die* die, Type& type) const {
    std::vector<std::optional<std::uint64_t>> counts;
    Dwarf_Die child;
    if (dwarf_child(die, &child) == 0) {
        do {
            if (dwarf_tag(&child) != DW_TAG_subrange_type) {
                continue;
            }
            if (auto count = udata(&child, DW_AT_count)) {
                counts.emplace_back(*count);
            } else if (auto upper = bound(&child, DW_AT_upper_bound)) {
                const std::int64_t lower = bound(&child, DW_AT_lower_bound).value_or(0);
                counts.emplace_back(
                    static_cast<std::uint64_t>(std::max<std::int64_t>(0, *upper - lower + 1)));
            } else {
                counts.emplace_back(std::nullopt);
            }
        } while (dwarf_siblingof(&child, &child) == 0);
    }
    if (counts.empty()) {
        counts.emplace_back(std::nullopt);
    }
    // int a[2][3] is one DIE with two subranges: build the inner dimensions first.
    LazyType element = type_attribute(die);
    for (std::size_t i = counts.size(); i-- > 1;) {
        Type inner;
        inner.kind = TypeKind::array;
        inner.target = element;
        inner.count = counts[i];
        inner.size = counts[i].value_or(0) * strip_typedefs(element.get())->size;
        element = LazyType(own(std::move(inner)));
    }
    type.kind = TypeKind::array;
    type.name.clear();
    type.target = element;
    type.count = counts[0];
    type.size = counts[0].value_or(0) * strip_typedefs(element.get())->size;
}

void DwarfTypes::convert_function(Dwarf_Die* die, Type& type) const {
    type.kind = TypeKind::function;
    type.size = 1;
    type.target = type_attribute(die);
    type.prototyped = dwarf_hasattr_integrate(die, DW_AT_prototyped) != 0;
    Dwarf_Die child;
    if (dwarf_child(die, &child) != 0) {
        return;
    }
    do {
        const int tag = dwarf_tag(&child);
        if (tag == DW_TAG_formal_parameter) {
            type.parameters.push_back(Parameter{name_of(&child), type_attribute(&child)});
        } else if (tag == DW_TAG_unspecified_parameters) {
            type.variadic = true;
        }
    } while (dwarf_siblingof(&child, &child) == 0);
}

const Type* DwarfTypes::find_type(std::string_view name, TypeTag tag) {
    DwarfNameKind kind = DwarfNameKind::ordinary_type;
    switch (tag) {
    case TypeTag::struct_tag:
        kind = DwarfNameKind::struct_tag;
        break;
    case TypeTag::union_tag:
        kind = DwarfNameKind::union_tag;
        break;
    case TypeTag::enum_tag:
        kind = DwarfNameKind::enum_tag;
        break;
    case TypeTag::ordinary:
        break;
    }
    auto offset = find_name_(kind, name);
    if (!offset && tag == TypeTag::ordinary) {
        // The index keeps GCC's spelling of base types.
        static const std::pair<std::string_view, std::string_view> spellings[] = {
            {"unsigned long", "long unsigned int"},
            {"long", "long int"},
            {"short", "short int"},
            {"unsigned short", "short unsigned int"},
            {"long long", "long long int"},
            {"unsigned long long", "long long unsigned int"},
        };
        for (const auto& [c, gcc] : spellings) {
            if (name == c) {
                offset = find_name_(kind, gcc);
            }
        }
    }
    return offset ? load(*offset) : nullptr;
}

const Type* DwarfTypes::find_variable_type(std::string_view name) {
    auto offset = find_name_(DwarfNameKind::variable, name);
    return offset ? load(*offset) : nullptr;
}

const Type* DwarfTypes::find_function_type(std::string_view name) {
    auto offset = find_name_(DwarfNameKind::function, name);
    return offset ? load(*offset) : nullptr;
}

std::optional<Enumerated> DwarfTypes::find_enumerator(std::string_view name) {
    auto offset = find_name_(DwarfNameKind::enumerator, name);
    if (!offset) {
        return std::nullopt;
    }
    const Type* type = load(*offset);
    for (const Enumerator& e : type->enumerators) {
        if (e.name == name) {
            return Enumerated{e.value, type};
        }
    }
    return std::nullopt;
}

} // namespace kdive::debuginfo
