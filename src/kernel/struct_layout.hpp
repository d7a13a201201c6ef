// Member offsets and sizes of a kernel struct, taken from the debug info (never hard-coded).
#pragma once

#include "debuginfo/debug_info.hpp"
#include "debuginfo/type.hpp"
#include "support/error.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kdive::kernel {

// Where one (possibly nested) member sits inside its outermost struct.
struct Field {
    std::uint64_t offset = 0;     // bytes from the start of the struct
    std::uint64_t size = 0;       // bytes; for bitfields the bytes holding the bits
    std::uint32_t bit_offset = 0; // within the byte at `offset`, bitfields only
    std::uint32_t bit_size = 0;   // non-zero for bitfields
    const debuginfo::Type* type = nullptr;
};

class StructLayout {
public:
    // `struct NAME`; an error naming the struct when the debug info does not describe it.
    static Result<StructLayout> find(debuginfo::DebugInfo& info, std::string_view name);
    // The layout of an already resolved struct or union type.
    StructLayout(debuginfo::DebugInfo* info, const debuginfo::Type* type, std::string name);

    const std::string& name() const { return name_; }
    std::uint64_t size() const { return type_->size; }
    const debuginfo::Type* type() const { return type_; }

    // A member path such as "se.exec_start" or "thread_info.cpu"; anonymous structs and unions
    // are looked through as C does. nullopt when there is no such member.
    std::optional<Field> field(std::string_view path) const;
    bool has(std::string_view path) const { return field(path).has_value(); }
    // The same, or an error naming the struct and the member.
    Result<Field> require(std::string_view path) const;
    Result<std::uint64_t> offset(std::string_view path) const;

private:
    const debuginfo::Type* complete(const debuginfo::Type* type) const;

    debuginfo::DebugInfo* info_ = nullptr;
    const debuginfo::Type* type_ = nullptr;
    std::string name_;
};

} // namespace kdive::kernel
