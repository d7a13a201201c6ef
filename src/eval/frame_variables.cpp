// Turns DWARF location descriptions into Values: memory, registers, computed bytes, or nothing.
#include "eval/frame_variables.hpp"

#include "debuginfo/dwarf_locations.hpp"
#include "debuginfo/dwarf_types.hpp"

#include <array>
#include <cstring>
#include <dwarf.h>

namespace kdive::eval {

namespace {

using debuginfo::Location;
using debuginfo::LocationPiece;

class FrameContext final : public debuginfo::LocationContext {
public:
    FrameContext(debuginfo::DebugInfo& info, MemoryReader* memory, const FrameState& frame)
        : info_(info), memory_(memory), frame_(frame) {}

    std::optional<std::uint64_t> reg(unsigned dwarf_reg) override {
        return dwarf_reg < frame_.registers.size() ? frame_.registers[dwarf_reg] : std::nullopt;
    }
    Result<std::uint64_t> read(std::uint64_t address, std::size_t size) override {
        if (memory_ == nullptr)
            return fail("Cannot access memory at address {:#x}: no memory source", address);
        auto bytes = memory_->read(address, size);
        if (!bytes)
            return std::unexpected(bytes.error());
        std::uint64_t value = 0;
        std::memcpy(&value, bytes->data(), std::min<std::size_t>(size, 8));
        return value;
    }
    Result<std::uint64_t> frame_base() override {
        if (in_frame_base_)
            return fail("DW_AT_frame_base refers to itself");
        auto function = debuginfo::die_at(info_.dwarf(), frame_.scope.function_die_offset);
        if (!function)
            return std::unexpected(function.error());
        Dwarf_Attribute attr;
        if (dwarf_attr(&*function, DW_AT_frame_base, &attr) == nullptr)
            return fail("{} has no DW_AT_frame_base", frame_.scope.name);
        auto ops = debuginfo::location_at(&attr, frame_.lookup_pc);
        if (!ops)
            return std::unexpected(ops.error());
        in_frame_base_ = true;
        auto base = debuginfo::evaluate_address(*ops, *this);
        in_frame_base_ = false;
        return base;
    }
    Result<std::uint64_t> cfa() override {
        return debuginfo::call_frame_cfa(info_.dwarf(), frame_.lookup_pc, frame_.registers);
    }
    std::uint64_t relocate(std::uint64_t address) override {
        return info_.image_range().contains(address) ? address + frame_.load_offset : address;
    }

private:
    debuginfo::DebugInfo& info_;
    MemoryReader* memory_;
    const FrameState& frame_;
    bool in_frame_base_ = false;
};

void append_le(std::vector<std::byte>& out, std::uint64_t value, std::size_t size) {
    for (std::size_t i = 0; i < size; ++i)
        out.push_back(static_cast<std::byte>(i < 8 ? value >> (8 * i) : 0));
}

} // namespace

std::string_view dwarf_register_gdb_name(const arch::Architecture& arch, unsigned dwarf_reg) {
    return arch.dwarf_name(dwarf_reg);
}

Result<Value> FrameVariables::value_of(const FrameState& frame,
                                       const debuginfo::ScopeVariable& variable) {
    debuginfo::DwarfTypes* types = info_.dwarf_types();
    if (types == nullptr)
        return fail("no DWARF types for {}", variable.name);
    const Type* type = variable.type_offset != 0 ? types->type_at(variable.type_offset) : nullptr;
    if (type == nullptr)
        return fail("no type for {}", variable.name);
    auto die = debuginfo::die_at(info_.dwarf(), variable.die_offset);
    if (!die)
        return std::unexpected(die.error());
    Dwarf_Attribute attr;
    if (dwarf_attr(&*die, DW_AT_location, &attr) == nullptr) {
        if (dwarf_attr(&*die, DW_AT_const_value, &attr) != nullptr) {
            Dwarf_Sword constant = 0;
            if (dwarf_formsdata(&attr, &constant) == 0)
                return Value::from_integer(type, static_cast<std::uint64_t>(constant));
        }
        return Value::optimized_out(type);
    }
    auto ops = debuginfo::location_at(&attr, frame.lookup_pc);
    if (!ops)
        return std::unexpected(ops.error());
    FrameContext context(info_, memory_, frame);
    auto location = debuginfo::evaluate_location(*ops, context);
    if (!location)
        return wrap(location.error(), fmt::format("locating {}", variable.name));
    if (location->optimized_out())
        return Value::optimized_out(type);
    const std::size_t size = debuginfo::strip_typedefs(type)->size;
    if (location->pieces.size() == 1) {
        const LocationPiece& piece = location->pieces[0];
        switch (piece.kind) {
        case LocationPiece::Kind::memory:
            return Value::at(type, piece.address);
        case LocationPiece::Kind::reg:
            if (size <= 8)
                return Value::in_register(
                    type, std::string(dwarf_register_gdb_name(info_.architecture(), piece.reg)),
                    piece.reg_value);
            break;
        case LocationPiece::Kind::implicit: {
            std::vector<std::byte> bytes = piece.bytes;
            bytes.resize(size);
            return Value::computed(type, std::move(bytes));
        }
        case LocationPiece::Kind::optimized_out:
            return Value::optimized_out(type);
        }
    }
    // Pieces: gather the bytes; a value with any part missing is shown as optimized out.
    std::vector<std::byte> bytes;
    for (const LocationPiece& piece : location->pieces) {
        const std::size_t piece_size = piece.size != 0 ? piece.size : size;
        switch (piece.kind) {
        case LocationPiece::Kind::optimized_out:
            return Value::optimized_out(type);
        case LocationPiece::Kind::reg:
            append_le(bytes, piece.reg_value, piece_size);
            break;
        case LocationPiece::Kind::implicit: {
            std::vector<std::byte> part = piece.bytes;
            part.resize(piece_size);
            bytes.insert(bytes.end(), part.begin(), part.end());
            break;
        }
        case LocationPiece::Kind::memory: {
            if (memory_ == nullptr)
                return fail("Cannot access memory at address {:#x}", piece.address);
            auto part = memory_->read(piece.address, piece_size);
            if (!part)
                return std::unexpected(part.error());
            bytes.insert(bytes.end(), part->begin(), part->end());
            break;
        }
        }
    }
    bytes.resize(size);
    return Value::computed(type, std::move(bytes));
}

std::optional<Result<Value>> FrameVariables::find(const FrameState& frame, std::string_view name) {
    for (const auto& variable : frame.scope.locals)
        if (variable.name == name)
            return value_of(frame, variable);
    for (const auto& variable : frame.scope.parameters)
        if (variable.name == name)
            return value_of(frame, variable);
    return std::nullopt;
}

Result<std::uint64_t> FrameVariables::frame_base(const FrameState& frame) {
    FrameContext context(info_, memory_, frame);
    return context.frame_base();
}

Result<std::uint64_t> FrameVariables::cfa(const FrameState& frame) {
    return debuginfo::call_frame_cfa(info_.dwarf(), frame.lookup_pc, frame.registers);
}

} // namespace kdive::eval
