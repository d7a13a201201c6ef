// Hand-built types, variables and memory for testing the expression layer without an ELF.
#pragma once

#include "eval/memory_reader.hpp"
#include "eval/scope.hpp"

#include <cstring>
#include <deque>
#include <map>

namespace kdive::testing {

using debuginfo::IntEncoding;
using debuginfo::LazyType;
using debuginfo::Member;
using debuginfo::Type;
using debuginfo::TypeKind;

// Bytes at addresses; reads outside what was put fail like an unmapped page.
class FakeMemory final : public eval::MemoryReader {
public:
    void put(std::uint64_t address, const void* data, std::size_t size) {
        for (std::size_t i = 0; i < size; ++i) {
            bytes_[address + i] = static_cast<const std::byte*>(data)[i];
        }
    }
    Result<std::vector<std::byte>> read(std::uint64_t address, std::size_t length) override {
        std::vector<std::byte> out(length);
        for (std::size_t i = 0; i < length; ++i) {
            auto it = bytes_.find(address + i);
            if (it == bytes_.end()) {
                return fail("Cannot access memory at address {:#x}", address + i);
            }
            out[i] = it->second;
        }
        return out;
    }
    Result<> write(std::uint64_t address, std::span<const std::byte> data) override {
        put(address, data.data(), data.size());
        return {};
    }

private:
    std::map<std::uint64_t, std::byte> bytes_;
};

// struct pair { int a; unsigned b : 3; unsigned c : 5; char tag[6]; struct pair *next; };
// A global `pair0` at 0x1000, an int array `numbers[12]` at 0x2000, enum mode { OFF, ON }.
class SyntheticScope final : public eval::Scope {
public:
    SyntheticScope() {
        int_ = &make(TypeKind::integer, "int", 4, IntEncoding::signed_int);
        uint_ = &make(TypeKind::integer, "unsigned int", 4, IntEncoding::unsigned_int);
        char_ = &make(TypeKind::integer, "char", 1, IntEncoding::signed_char);
        Type& tag = make(TypeKind::array, "", 6, IntEncoding::signed_int);
        tag.target = LazyType(char_);
        tag.count = 6;
        Type& pair = make(TypeKind::structure, "pair", 24, IntEncoding::signed_int);
        pair_ = &pair;
        Type& pointer = make(TypeKind::pointer, "", 8, IntEncoding::unsigned_int);
        pointer.target = LazyType(pair_);
        pair.members = {Member{"a", LazyType(int_), 0, 0}, Member{"b", LazyType(uint_), 32, 3},
                        Member{"c", LazyType(uint_), 35, 5}, Member{"tag", LazyType(&tag), 64, 0},
                        Member{"next", LazyType(&pointer), 128, 0}};
        Type& numbers = make(TypeKind::array, "", 48, IntEncoding::signed_int);
        numbers.target = LazyType(int_);
        numbers.count = 12;
        numbers_ = &numbers;
        Type& mode = make(TypeKind::enumeration, "mode", 4, IntEncoding::unsigned_int);
        mode.enumerators = {{"OFF", 0}, {"ON", 1}};
        mode_ = &mode;
    }

    const Type* find_type(std::string_view name, debuginfo::TypeTag tag) override {
        if (tag == debuginfo::TypeTag::struct_tag && name == "pair") {
            return pair_;
        }
        if (tag == debuginfo::TypeTag::enum_tag && name == "mode") {
            return mode_;
        }
        if (tag == debuginfo::TypeTag::ordinary) {
            if (name == "int") {
                return int_;
            }
            if (name == "unsigned int") {
                return uint_;
            }
            if (name == "char") {
                return char_;
            }
        }
        return nullptr;
    }
    Result<debuginfo::Variable> find_variable(std::string_view name) override {
        if (name == "pair0") {
            return debuginfo::Variable{"pair0", 0x1000, pair_, false, false, ".data"};
        }
        if (name == "numbers") {
            return debuginfo::Variable{"numbers", 0x2000, numbers_, false, false, ".data"};
        }
        return fail("No symbol \"{}\" in current context.", name);
    }
    std::optional<debuginfo::Enumerated> find_enumerator(std::string_view name) override {
        for (const auto& e : mode_->enumerators) {
            if (e.name == name) {
                return debuginfo::Enumerated{e.value, mode_};
            }
        }
        return std::nullopt;
    }
    bool has_symbol(std::string_view name) override { return name == "pair0" || name == "numbers"; }
    std::optional<std::string> symbolize(std::uint64_t address) override {
        if (address >= 0x1000 && address < 0x1018) {
            return address == 0x1000 ? std::string("pair0")
                                     : fmt::format("pair0+{}", address - 0x1000);
        }
        return std::nullopt;
    }

    const Type* pair_type() const { return pair_; }

private:
    Type& make(TypeKind kind, std::string name, std::uint64_t size, IntEncoding encoding) {
        Type& t = types_.emplace_back();
        t.kind = kind;
        t.name = std::move(name);
        t.size = size;
        t.encoding = encoding;
        return t;
    }

    std::deque<Type> types_;
    const Type* int_ = nullptr;
    const Type* uint_ = nullptr;
    const Type* char_ = nullptr;
    const Type* pair_ = nullptr;
    const Type* numbers_ = nullptr;
    const Type* mode_ = nullptr;
};

} // namespace kdive::testing
