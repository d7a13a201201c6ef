// Types, per-CPU variables and functions from the kernel's .BTF section (libbpf).
#pragma once

#include "debuginfo/type_source.hpp"
#include "support/error.hpp"

#include <cstddef>
#include <memory>
#include <span>
#include <string_view>
#include <unordered_map>
#include <vector>

struct btf;

namespace kdive::debuginfo {

class BtfTypes final : public TypeSource, private TypeLoader {
public:
    // Parses raw .BTF bytes (libbpf copies them); fails on a malformed section.
    static Result<std::unique_ptr<BtfTypes>> parse(std::span<const std::byte> bytes);
    ~BtfTypes() override;
    BtfTypes(const BtfTypes&) = delete;
    BtfTypes& operator=(const BtfTypes&) = delete;

    const Type* find_type(std::string_view name, TypeTag tag) override;
    const Type* find_variable_type(std::string_view name) override;
    const Type* find_function_type(std::string_view name) override;
    std::optional<Enumerated> find_enumerator(std::string_view name) override;
    std::string_view source_name() const override { return "BTF"; }
    std::size_t type_count() const;
    // Every named type of one tag (struct, union, enum; ordinary: typedefs and base types).
    std::vector<std::string> type_names(TypeTag tag);

private:
    explicit BtfTypes(struct btf* handle);
    const Type* load(std::uint64_t id) const override;
    Type convert(std::uint32_t id) const;
    const Type* zero_length_array(std::uint32_t id) const;
    void build_name_index();
    const Type* find_named(std::string_view name, int btf_kind);

    struct btf* btf_ = nullptr;
    mutable std::vector<std::unique_ptr<Type>> converted_;
    mutable std::unordered_map<std::uint32_t, std::unique_ptr<Type>> zero_length_;
    bool indexed_ = false;
    std::unordered_map<std::string_view, std::uint32_t> structs_, unions_, enums_, ordinary_, vars_,
        funcs_,
        enumerators_; // enumerator name → enum type id
};

} // namespace kdive::debuginfo
