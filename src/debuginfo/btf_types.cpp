// Converts BTF types into the shared type model on first use.
#include "debuginfo/btf_types.hpp"

#include <bpf/btf.h>
#include <cerrno>
#include <cstring>
#include <linux/btf.h>

namespace kdive::debuginfo {

namespace {

std::string_view name_of(const struct btf* handle, const struct btf_type* t) {
    const char* name = btf__name_by_offset(handle, t->name_off);
    return name != nullptr ? std::string_view(name) : std::string_view();
}

IntEncoding encoding_of(std::string_view name, std::uint32_t int_info, std::uint64_t size) {
    const unsigned enc = BTF_INT_ENCODING(int_info);
    if ((enc & BTF_INT_BOOL) != 0) {
        return IntEncoding::boolean;
    }
    // pahole does not always set BTF_INT_CHAR, so char-ness is decided from the C name.
    if (size == 1 && (name == "char" || name == "signed char" || name == "unsigned char")) {
        return (enc & BTF_INT_SIGNED) != 0 ? IntEncoding::signed_char : IntEncoding::unsigned_char;
    }
    return (enc & BTF_INT_SIGNED) != 0 ? IntEncoding::signed_int : IntEncoding::unsigned_int;
}

} // namespace

Result<std::unique_ptr<BtfTypes>> BtfTypes::parse(std::span<const std::byte> bytes) {
    errno = 0;
    struct btf* handle = btf__new(bytes.data(), static_cast<__u32>(bytes.size()));
    if (handle == nullptr) {
        return fail("malformed .BTF section ({})", std::strerror(errno != 0 ? errno : EINVAL));
    }
    return std::unique_ptr<BtfTypes>(new BtfTypes(handle));
}

BtfTypes::BtfTypes(struct btf* handle) : btf_(handle) {
    converted_.resize(btf__type_cnt(btf_));
}

BtfTypes::~BtfTypes() {
    btf__free(btf_);
}

std::size_t BtfTypes::type_count() const {
    return btf__type_cnt(btf_);
}

void BtfTypes::build_name_index() {
    indexed_ = true;
    const std::uint32_t count = btf__type_cnt(btf_);
    for (std::uint32_t id = 1; id < count; ++id) {
        const struct btf_type* t = btf__type_by_id(btf_, id);
        if (btf_is_any_enum(t)) {
            for (std::uint16_t i = 0; i < btf_vlen(t); ++i) {
                const std::uint32_t name_off =
                    btf_is_enum(t) ? btf_enum(t)[i].name_off : btf_enum64(t)[i].name_off;
                const char* enumerator = btf__name_by_offset(btf_, name_off);
                if (enumerator != nullptr) {
                    enumerators_.try_emplace(enumerator, id);
                }
            }
        }
        const std::string_view name = name_of(btf_, t);
        if (name.empty()) {
            continue;
        }
        switch (btf_kind(t)) {
        case BTF_KIND_STRUCT:
            structs_.try_emplace(name, id);
            break;
        case BTF_KIND_UNION:
            unions_.try_emplace(name, id);
            break;
        case BTF_KIND_ENUM:
        case BTF_KIND_ENUM64:
            enums_.try_emplace(name, id);
            break;
        case BTF_KIND_TYPEDEF:
        case BTF_KIND_INT:
        case BTF_KIND_FLOAT:
            ordinary_.try_emplace(name, id);
            break;
        case BTF_KIND_VAR:
            vars_.try_emplace(name, id);
            break;
        case BTF_KIND_FUNC:
            funcs_.try_emplace(name, id);
            break;
        case BTF_KIND_FWD: {
            // Remember a forward declaration only until the definition shows up.
            auto& map = btf_kflag(t) ? unions_ : structs_;
            map.try_emplace(name, id);
            break;
        }
        default:
            break;
        }
    }
    // A definition that came after its forward declaration replaces it.
    for (std::uint32_t id = 1; id < count; ++id) {
        const struct btf_type* t = btf__type_by_id(btf_, id);
        const int kind = btf_kind(t);
        if (kind != BTF_KIND_STRUCT && kind != BTF_KIND_UNION) {
            continue;
        }
        auto& map = kind == BTF_KIND_STRUCT ? structs_ : unions_;
        auto it = map.find(name_of(btf_, t));
        if (it != map.end() && btf_is_fwd(btf__type_by_id(btf_, it->second))) {
            it->second = id;
        }
    }
}

const Type* BtfTypes::find_type(std::string_view name, TypeTag tag) {
    if (!indexed_) {
        build_name_index();
    }
    const std::unordered_map<std::string_view, std::uint32_t>* map = &ordinary_;
    switch (tag) {
    case TypeTag::struct_tag:
        map = &structs_;
        break;
    case TypeTag::union_tag:
        map = &unions_;
        break;
    case TypeTag::enum_tag:
        map = &enums_;
        break;
    case TypeTag::ordinary:
        break;
    }
    auto it = map->find(name);
    if (it == map->end() && tag == TypeTag::ordinary) {
        // BTF keeps GCC's spelling of base types ("long unsigned int").
        for (std::uint32_t id = 1; id < btf__type_cnt(btf_); ++id) {
            const struct btf_type* t = btf__type_by_id(btf_, id);
            if (btf_is_int(t) && canonical_base_type_name(name_of(btf_, t)) == name) {
                return load(id);
            }
        }
        return nullptr;
    }
    return it == map->end() ? nullptr : load(it->second);
}

const Type* BtfTypes::find_variable_type(std::string_view name) {
    if (!indexed_) {
        build_name_index();
    }
    auto it = vars_.find(name);
    if (it == vars_.end()) {
        return nullptr;
    }
    return load(btf__type_by_id(btf_, it->second)->type);
}

const Type* BtfTypes::find_function_type(std::string_view name) {
    if (!indexed_) {
        build_name_index();
    }
    auto it = funcs_.find(name);
    if (it == funcs_.end()) {
        return nullptr;
    }
    return load(btf__type_by_id(btf_, it->second)->type);
}

std::optional<Enumerated> BtfTypes::find_enumerator(std::string_view name) {
    if (!indexed_) {
        build_name_index();
    }
    auto it = enumerators_.find(name);
    if (it == enumerators_.end()) {
        return std::nullopt;
    }
    const Type* type = load(it->second);
    for (const Enumerator& e : type->enumerators) {
        if (e.name == name) {
            return Enumerated{e.value, type};
        }
    }
    return std::nullopt;
}

const Type* BtfTypes::load(std::uint64_t id) const {
    if (id >= converted_.size()) {
        return unknown_type();
    }
    if (!converted_[id]) {
        // Insert before converting members so self-references resolve lazily to this node.
        converted_[id] = std::make_unique<Type>();
        *converted_[id] = convert(static_cast<std::uint32_t>(id));
    }
    return converted_[id].get();
}

const Type* BtfTypes::zero_length_array(std::uint32_t id) const {
    auto& slot = zero_length_[id];
    if (!slot) {
        slot = std::make_unique<Type>(*load(id));
        slot->count = 0;
    }
    return slot.get();
}

Type BtfTypes::convert(std::uint32_t id) const {
    Type type;
    if (id == 0) {
        type.kind = TypeKind::void_type;
        type.name = "void";
        return type;
    }
    const struct btf_type* t = btf__type_by_id(btf_, id);
    if (t == nullptr) {
        return *unknown_type();
    }
    const std::string_view name = name_of(btf_, t);
    switch (btf_kind(t)) {
    case BTF_KIND_INT: {
        type.kind = TypeKind::integer;
        type.name = canonical_base_type_name(name);
        type.size = t->size;
        type.encoding = encoding_of(name, *reinterpret_cast<const std::uint32_t*>(t + 1), t->size);
        break;
    }
    case BTF_KIND_FLOAT:
        type.kind = TypeKind::floating;
        type.name = name;
        type.size = t->size;
        break;
    case BTF_KIND_PTR:
        type.kind = TypeKind::pointer;
        type.size = 8;
        type.target = LazyType(this, t->type);
        break;
    case BTF_KIND_ARRAY: {
        const struct btf_array* array = btf_array(t);
        type.kind = TypeKind::array;
        type.target = LazyType(this, array->type);
        if (array->nelems > 0) {
            type.count = array->nelems;
        }
        const __s64 element = btf__resolve_size(btf_, array->type);
        type.size = element > 0 ? static_cast<std::uint64_t>(element) * array->nelems : 0;
        break;
    }
    case BTF_KIND_STRUCT:
    case BTF_KIND_UNION: {
        type.kind = btf_is_struct(t) ? TypeKind::structure : TypeKind::union_type;
        type.name = name;
        type.size = t->size;
        const struct btf_member* members = btf_members(t);
        for (std::uint16_t i = 0; i < btf_vlen(t); ++i) {
            const char* member_name = btf__name_by_offset(btf_, members[i].name_off);
            LazyType member_type(this, members[i].type);
            // BTF writes both `x[0]` and `x[]` as zero elements; only the last member can be
            // a flexible array, so an earlier one was declared `[0]` (as DWARF says).
            const struct btf_type* mt = btf__type_by_id(btf_, members[i].type);
            if (i + 1 < btf_vlen(t) && mt != nullptr && btf_is_array(mt) &&
                btf_array(mt)->nelems == 0) {
                member_type = LazyType(zero_length_array(members[i].type));
            }
            type.members.push_back(Member{member_name != nullptr ? member_name : "", member_type,
                                          btf_member_bit_offset(t, i),
                                          btf_member_bitfield_size(t, i)});
        }
        break;
    }
    case BTF_KIND_ENUM: {
        type.kind = TypeKind::enumeration;
        type.name = name;
        type.size = t->size;
        const bool is_signed = btf_kflag(t);
        type.encoding = is_signed ? IntEncoding::signed_int : IntEncoding::unsigned_int;
        const struct btf_enum* values = btf_enum(t);
        for (std::uint16_t i = 0; i < btf_vlen(t); ++i) {
            const char* enumerator = btf__name_by_offset(btf_, values[i].name_off);
            type.enumerators.push_back(Enumerator{
                enumerator != nullptr ? enumerator : "",
                is_signed ? values[i].val
                          : static_cast<std::int64_t>(static_cast<std::uint32_t>(values[i].val))});
        }
        break;
    }
    case BTF_KIND_ENUM64: {
        type.kind = TypeKind::enumeration;
        type.name = name;
        type.size = t->size;
        type.encoding = btf_kflag(t) ? IntEncoding::signed_int : IntEncoding::unsigned_int;
        const struct btf_enum64* values = btf_enum64(t);
        for (std::uint16_t i = 0; i < btf_vlen(t); ++i) {
            const char* enumerator = btf__name_by_offset(btf_, values[i].name_off);
            type.enumerators.push_back(
                Enumerator{enumerator != nullptr ? enumerator : "",
                           static_cast<std::int64_t>(btf_enum64_value(&values[i]))});
        }
        break;
    }
    case BTF_KIND_FWD: {
        type.kind = btf_kflag(t) ? TypeKind::union_type : TypeKind::structure;
        type.name = name;
        type.declaration = true;
        break;
    }
    case BTF_KIND_TYPEDEF:
        type.kind = TypeKind::typedef_type;
        type.name = name;
        type.target = LazyType(this, t->type);
        type.size = strip_typedefs(type.target.get())->size;
        break;
    case BTF_KIND_VOLATILE:
    case BTF_KIND_CONST:
    case BTF_KIND_RESTRICT: {
        const int kind = btf_kind(t);
        type.kind = kind == BTF_KIND_CONST      ? TypeKind::const_type
                    : kind == BTF_KIND_VOLATILE ? TypeKind::volatile_type
                                                : TypeKind::restrict_type;
        type.target = LazyType(this, t->type);
        type.size = strip_typedefs(type.target.get())->size;
        break;
    }
    case BTF_KIND_TYPE_TAG:
    case BTF_KIND_DECL_TAG:
    case BTF_KIND_VAR:
    case BTF_KIND_FUNC:
        // Tags are invisible in C; a VAR or FUNC stands for its type.
        return *load(t->type);
    case BTF_KIND_FUNC_PROTO: {
        type.kind = TypeKind::function;
        type.size = 1; // GDB's sizeof a function
        type.target = LazyType(this, t->type);
        const struct btf_param* params = btf_params(t);
        for (std::uint16_t i = 0; i < btf_vlen(t); ++i) {
            if (params[i].type == 0) {
                type.variadic = true;
                continue;
            }
            const char* param_name = btf__name_by_offset(btf_, params[i].name_off);
            type.parameters.push_back(
                Parameter{param_name != nullptr ? param_name : "", LazyType(this, params[i].type)});
        }
        break;
    }
    default:
        return *unknown_type();
    }
    return type;
}

std::vector<std::string> BtfTypes::type_names(TypeTag tag) {
    if (!indexed_) {
        build_name_index();
    }
    const auto& names = tag == TypeTag::struct_tag  ? structs_
                        : tag == TypeTag::union_tag ? unions_
                        : tag == TypeTag::enum_tag  ? enums_
                                                    : ordinary_;
    std::vector<std::string> out;
    out.reserve(names.size());
    for (const auto& [name, id] : names) {
        out.emplace_back(name);
    }
    return out;
}

} // namespace kdive::debuginfo
