// What names mean to the expression layer: types, variables, enum constants, symbols.
#pragma once

#include "debuginfo/debug_info.hpp"
#include "debuginfo/type.hpp"
#include "debuginfo/type_source.hpp"
#include "eval/value.hpp"
#include "support/error.hpp"

#include <cstdint>
#include <functional>
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
    // A local variable or parameter of the selected frame, which hides globals of that name;
    // nullopt when the frame has none by that name.
    virtual std::optional<Result<Value>> find_local(std::string_view name) {
        (void)name;
        return std::nullopt;
    }
};

// An address inside a loaded image: which image, the nearest symbol (empty when none names
// it), its section and source line when known.
struct ImageAddress {
    std::string image;
    std::string symbol;
    std::uint64_t offset = 0;
    std::string section;
    std::optional<debuginfo::SourceLine> line;
};

// Images loaded beside the main one (a kernel's modules), at their runtime addresses: names the
// main image does not know are looked up here.
class LoadedImages {
public:
    virtual ~LoadedImages() = default;
    virtual std::optional<debuginfo::Variable> find_variable(std::string_view name) = 0;
    virtual const Type* find_type(std::string_view name, TypeTag tag) = 0;
    // nullopt when no image holds the address.
    virtual std::optional<ImageAddress> describe(std::uint64_t address) = 0;
};

using LocalLookup = std::function<std::optional<Result<Value>>(std::string_view)>;

// The scope of a loaded kernel image.
class DebugInfoScope final : public Scope {
public:
    explicit DebugInfoScope(debuginfo::DebugInfo& info) : info_(info) {}
    const Type* find_type(std::string_view name, TypeTag tag) override;
    Result<debuginfo::Variable> find_variable(std::string_view name) override;
    std::optional<debuginfo::Enumerated> find_enumerator(std::string_view name) override {
        return info_.find_enumerator(name);
    }
    bool has_symbol(std::string_view name) override;
    std::optional<std::string> symbolize(std::uint64_t address) override;
    // Modules and the like, consulted after the image (null: none).
    void set_loaded_images(LoadedImages* images) { images_ = images; }
    LoadedImages* loaded_images() const { return images_; }
    std::optional<Result<Value>> find_local(std::string_view name) override {
        return locals_ ? locals_(name) : std::nullopt;
    }
    // The selected frame's variables (set by whoever tracks frames; empty: none).
    void set_local_lookup(LocalLookup locals) { locals_ = std::move(locals); }
    // Where a KASLR kernel really sits: added to the image's addresses, taken off for names.
    void set_load_offset(std::uint64_t offset) { load_offset_ = offset; }
    std::uint64_t load_offset() const { return load_offset_; }
    // A runtime address of the image as the vmlinux file names it.
    std::uint64_t to_file_address(std::uint64_t address) const;

private:
    debuginfo::DebugInfo& info_;
    std::uint64_t load_offset_ = 0;
    LocalLookup locals_;
    LoadedImages* images_ = nullptr;
};

} // namespace kdive::eval
