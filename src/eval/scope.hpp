// What names mean to the expression layer: types, variables, enum constants, symbols.
#pragma once

#include "debuginfo/debug_info.hpp"
#include "debuginfo/type.hpp"
#include "debuginfo/type_source.hpp"
#include "support/error.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kdive::eval {

using debuginfo::Type;
using debuginfo::TypeKind;
using debuginfo::TypeTag;

class Scope {
public:
    virtual ~Scope() = default;
    virtual const Type* find_type(std::string_view name, TypeTag tag) = 0;
    virtual Result<debuginfo::Variable> find_variable(std::string_view name) = 0;
    virtual std::optional<debuginfo::Enumerated> find_enumerator(std::string_view name) = 0;
    virtual bool has_symbol(std::string_view name) = 0;
    // "init_task+2192" for an address GDB would name; nullopt otherwise.
    virtual std::optional<std::string> symbolize(std::uint64_t address) = 0;
};

// The scope of a loaded kernel image.
class DebugInfoScope final : public Scope {
public:
    explicit DebugInfoScope(debuginfo::DebugInfo& info) : info_(info) {}
    const Type* find_type(std::string_view name, TypeTag tag) override {
        return info_.find_type(name, tag);
    }
    Result<debuginfo::Variable> find_variable(std::string_view name) override;
    std::optional<debuginfo::Enumerated> find_enumerator(std::string_view name) override {
        return info_.find_enumerator(name);
    }
    bool has_symbol(std::string_view name) override {
        return info_.symbols().find(name) != nullptr;
    }
    std::optional<std::string> symbolize(std::uint64_t address) override;
    // Where a KASLR kernel really sits: added to the image's addresses, taken off for names.
    void set_load_offset(std::uint64_t offset) { load_offset_ = offset; }
    // A runtime address of the image as the vmlinux file names it.
    std::uint64_t to_file_address(std::uint64_t address) const;

private:
    debuginfo::DebugInfo& info_;
    std::uint64_t load_offset_ = 0;
};

} // namespace kdive::eval
