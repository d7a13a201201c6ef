// The one type model the rest of kdive sees, whether BTF or DWARF described the type.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace kdive::debuginfo {

enum class TypeKind {
    void_type,
    integer, // includes char and _Bool (see Type::encoding)
    floating,
    pointer,
    array,
    structure,
    union_type,
    enumeration,
    typedef_type,
    function,
    const_type,
    volatile_type,
    restrict_type,
    unknown, // what a broken reference resolves to, so callers never see null
};

enum class IntEncoding { unsigned_int, signed_int, boolean, signed_char, unsigned_char };

class Type;

// Produces types on demand from a key of its own (a BTF id, a DWARF DIE offset).
class TypeLoader {
public:
    virtual ~TypeLoader() = default;
    // Never null: a key that cannot be converted yields a Type of kind unknown.
    virtual const Type* load(std::uint64_t key) const = 0;
};

// A reference to another type, converted only the first time it is followed.
class LazyType {
public:
    LazyType() = default;
    explicit LazyType(const Type* type) : resolved_(type) {}
    LazyType(const TypeLoader* loader, std::uint64_t key) : loader_(loader), key_(key) {}
    const Type* get() const;
    bool empty() const { return resolved_ == nullptr && loader_ == nullptr; }

private:
    mutable const Type* resolved_ = nullptr;
    const TypeLoader* loader_ = nullptr;
    std::uint64_t key_ = 0;
};

struct Member {
    std::string name; // empty for anonymous struct/union members
    LazyType type;
    std::uint64_t bit_offset = 0;
    std::uint32_t bit_size = 0; // non-zero only for bitfields
};

struct Enumerator {
    std::string name;
    std::int64_t value = 0; // unsigned enums store the bit pattern
};

struct Parameter {
    std::string name;
    LazyType type;
};

class Type {
public:
    TypeKind kind = TypeKind::unknown;
    std::string name;       // tag for struct/union/enum, typedef name, base type name
    std::uint64_t size = 0; // bytes; 0 when incomplete or void
    IntEncoding encoding = IntEncoding::signed_int;
    bool declaration = false;           // a forward declaration: look the tag up for the definition
    LazyType target;                    // pointee, element, aliased, qualified or return type
    std::optional<std::uint64_t> count; // arrays; nullopt for flexible arrays
    std::vector<Member> members;        // structs and unions
    std::vector<Enumerator> enumerators; // enums
    std::vector<Parameter> parameters;   // function types
    bool variadic = false;
    bool prototyped = true;

    bool is_integer() const { return kind == TypeKind::integer || kind == TypeKind::enumeration; }
    bool is_scalar() const {
        return is_integer() || kind == TypeKind::pointer || kind == TypeKind::floating;
    }
    bool is_signed() const {
        return encoding == IntEncoding::signed_int || encoding == IntEncoding::signed_char;
    }
    bool is_char() const {
        return kind == TypeKind::integer &&
               (encoding == IntEncoding::signed_char || encoding == IntEncoding::unsigned_char);
    }
    bool is_composite() const {
        return kind == TypeKind::structure || kind == TypeKind::union_type;
    }
};

// Strips typedefs and cv-qualifiers: the type that decides how bytes are interpreted.
const Type* strip_typedefs(const Type* type);
// Strips cv-qualifiers only.
const Type* strip_qualifiers(const Type* type);

// GCC spells base types "long unsigned int"; GDB and C programmers say "unsigned long".
std::string canonical_base_type_name(std::string_view name);

// A type that stands for "could not be read": keeps callers free of null checks.
const Type* unknown_type();

} // namespace kdive::debuginfo
