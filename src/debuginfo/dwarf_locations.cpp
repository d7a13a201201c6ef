// A DWARF expression stack machine over libdw's decoded operations.
#include "debuginfo/dwarf_locations.hpp"

#include <algorithm>
#include <dwarf.h>

namespace kdive::debuginfo {

namespace {

using Kind = LocationPiece::Kind;

// The operation ends evaluation with "not available here" rather than an error.
struct Unavailable {};

class Machine {
public:
    Machine(std::span<const Dwarf_Op> ops, LocationContext& context)
        : ops_(ops), context_(context) {}

    Result<Location> run();

private:
    Result<bool> step(const Dwarf_Op& op, std::size_t& next);
    Result<std::uint64_t> pop(const Dwarf_Op& op);
    Result<std::uint64_t> top(const Dwarf_Op& op, std::size_t depth = 0);
    Result<bool> push_register(unsigned reg, std::int64_t offset);
    void finish_piece(std::uint64_t size);
    Result<std::size_t> branch_target(const Dwarf_Op& op);

    std::span<const Dwarf_Op> ops_;
    LocationContext& context_;
    std::vector<std::uint64_t> stack_;
    Location location_;
    // What the ops since the last piece describe, when not "memory at the top of the stack".
    std::optional<LocationPiece> pending_;
    bool unavailable_ = false;
};

Result<std::uint64_t> Machine::pop(const Dwarf_Op& op) {
    if (stack_.empty())
        return fail("DWARF expression: stack underflow at operation {:#x} (offset {})", op.atom,
                    op.offset);
    std::uint64_t value = stack_.back();
    stack_.pop_back();
    return value;
}

Result<std::uint64_t> Machine::top(const Dwarf_Op& op, std::size_t depth) {
    if (stack_.size() <= depth)
        return fail("DWARF expression: stack underflow at operation {:#x} (offset {})", op.atom,
                    op.offset);
    return stack_[stack_.size() - 1 - depth];
}

Result<bool> Machine::push_register(unsigned reg, std::int64_t offset) {
    auto value = context_.reg(reg);
    if (!value) {
        unavailable_ = true;
        return false;
    }
    stack_.push_back(*value + static_cast<std::uint64_t>(offset));
    return true;
}

void Machine::finish_piece(std::uint64_t size) {
    LocationPiece piece;
    if (unavailable_) {
        piece.kind = Kind::optimized_out;
    } else if (pending_) {
        piece = std::move(*pending_);
    } else if (!stack_.empty()) {
        piece.kind = Kind::memory;
        piece.address = stack_.back();
    } else {
        piece.kind = Kind::optimized_out; // an empty piece: the compiler dropped this part
    }
    piece.size = size;
    location_.pieces.push_back(std::move(piece));
    pending_.reset();
    unavailable_ = false;
    stack_.clear();
}

Result<std::size_t> Machine::branch_target(const Dwarf_Op& op) {
    // libdw keeps the signed 2-byte operand; the target is relative to the next operation.
    const std::uint64_t target = op.offset + 3 + op.number;
    for (std::size_t i = 0; i < ops_.size(); ++i)
        if (ops_[i].offset == target)
            return i;
    if (!ops_.empty() && target == ops_.back().offset + 1)
        return ops_.size();
    return fail("DWARF expression: branch at offset {} to {} lands inside an operation", op.offset,
                target);
}

Result<Location> Machine::run() {
    std::size_t index = 0;
    std::size_t executed = 0;
    while (index < ops_.size()) {
        if (++executed > 100000)
            return fail("DWARF expression: more than 100000 operations (a loop?)");
        std::size_t next = index + 1;
        auto going = step(ops_[index], next);
        if (!going)
            return std::unexpected(going.error());
        if (!*going) {
            // Unavailable: only a following DW_OP_piece can start something else.
            unavailable_ = true;
            while (next < ops_.size() && ops_[next].atom != DW_OP_piece &&
                   ops_[next].atom != DW_OP_bit_piece)
                ++next;
        }
        index = next;
    }
    if (location_.pieces.empty())
        finish_piece(0);
    return location_;
}

Result<bool> Machine::step(const Dwarf_Op& op, std::size_t& next) {
    const std::uint8_t atom = op.atom;
    if (pending_ && atom != DW_OP_piece && atom != DW_OP_bit_piece)
        return fail("DWARF expression: operation {:#x} after a register or implicit value", atom);
    if (atom >= DW_OP_lit0 && atom <= DW_OP_lit31) {
        stack_.push_back(atom - DW_OP_lit0);
        return true;
    }
    if (atom >= DW_OP_reg0 && atom <= DW_OP_reg31) {
        auto value = context_.reg(atom - DW_OP_reg0);
        if (!value)
            return false;
        pending_ =
            LocationPiece{Kind::reg, 0, static_cast<unsigned>(atom - DW_OP_reg0), *value, {}, 0};
        return true;
    }
    if (atom >= DW_OP_breg0 && atom <= DW_OP_breg31)
        return push_register(atom - DW_OP_breg0, static_cast<std::int64_t>(op.number));
    switch (atom) {
    case DW_OP_addr:
        stack_.push_back(context_.relocate(op.number));
        return true;
    case DW_OP_const1u:
    case DW_OP_const2u:
    case DW_OP_const4u:
    case DW_OP_const8u:
    case DW_OP_constu:
    case DW_OP_const1s:
    case DW_OP_const2s:
    case DW_OP_const4s:
    case DW_OP_const8s:
    case DW_OP_consts:
        stack_.push_back(op.number); // libdw has sign-extended the signed forms already
        return true;
    case DW_OP_regx: {
        auto value = context_.reg(static_cast<unsigned>(op.number));
        if (!value)
            return false;
        pending_ = LocationPiece{Kind::reg, 0, static_cast<unsigned>(op.number), *value, {}, 0};
        return true;
    }
    case DW_OP_bregx:
        return push_register(static_cast<unsigned>(op.number),
                             static_cast<std::int64_t>(op.number2));
    case DW_OP_fbreg: {
        auto base = context_.frame_base();
        if (!base)
            return false; // no frame base here: treat the variable as unavailable
        stack_.push_back(*base + op.number);
        return true;
    }
    case DW_OP_call_frame_cfa: {
        auto cfa = context_.cfa();
        if (!cfa)
            return false;
        stack_.push_back(*cfa);
        return true;
    }
    case DW_OP_dup: {
        auto value = top(op);
        if (!value)
            return std::unexpected(value.error());
        stack_.push_back(*value);
        return true;
    }
    case DW_OP_drop:
        if (auto value = pop(op); !value)
            return std::unexpected(value.error());
        return true;
    case DW_OP_over:
    case DW_OP_pick: {
        auto value = top(op, atom == DW_OP_over ? 1 : op.number);
        if (!value)
            return std::unexpected(value.error());
        stack_.push_back(*value);
        return true;
    }
    case DW_OP_swap:
        if (stack_.size() < 2)
            return fail("DWARF expression: stack underflow at DW_OP_swap");
        std::swap(stack_[stack_.size() - 1], stack_[stack_.size() - 2]);
        return true;
    case DW_OP_rot:
        if (stack_.size() < 3)
            return fail("DWARF expression: stack underflow at DW_OP_rot");
        std::rotate(stack_.end() - 3, stack_.end() - 1, stack_.end());
        return true;
    case DW_OP_deref:
    case DW_OP_deref_size: {
        auto address = pop(op);
        if (!address)
            return std::unexpected(address.error());
        std::size_t size = atom == DW_OP_deref ? 8 : static_cast<std::size_t>(op.number);
        if (size == 0 || size > 8)
            return fail("DWARF expression: DW_OP_deref_size {}", size);
        auto value = context_.read(*address, size);
        if (!value)
            return std::unexpected(value.error());
        stack_.push_back(*value);
        return true;
    }
    case DW_OP_abs:
    case DW_OP_neg:
    case DW_OP_not:
    case DW_OP_plus_uconst: {
        auto value = pop(op);
        if (!value)
            return std::unexpected(value.error());
        auto v = static_cast<std::int64_t>(*value);
        std::uint64_t result = atom == DW_OP_abs   ? static_cast<std::uint64_t>(v < 0 ? -v : v)
                               : atom == DW_OP_neg ? static_cast<std::uint64_t>(-v)
                               : atom == DW_OP_not ? ~*value
                                                   : *value + op.number;
        stack_.push_back(result);
        return true;
    }
    case DW_OP_and:
    case DW_OP_div:
    case DW_OP_minus:
    case DW_OP_mod:
    case DW_OP_mul:
    case DW_OP_or:
    case DW_OP_plus:
    case DW_OP_shl:
    case DW_OP_shr:
    case DW_OP_shra:
    case DW_OP_xor:
    case DW_OP_eq:
    case DW_OP_ge:
    case DW_OP_gt:
    case DW_OP_le:
    case DW_OP_lt:
    case DW_OP_ne: {
        auto right = pop(op);
        if (!right)
            return std::unexpected(right.error());
        auto left = pop(op);
        if (!left)
            return std::unexpected(left.error());
        const std::uint64_t a = *left;
        const std::uint64_t b = *right;
        const auto sa = static_cast<std::int64_t>(a);
        const auto sb = static_cast<std::int64_t>(b);
        std::uint64_t result = 0;
        switch (atom) {
        case DW_OP_and:
            result = a & b;
            break;
        case DW_OP_div:
            if (b == 0)
                return fail("DWARF expression: division by zero");
            result = static_cast<std::uint64_t>(sa / sb);
            break;
        case DW_OP_minus:
            result = a - b;
            break;
        case DW_OP_mod:
            if (b == 0)
                return fail("DWARF expression: division by zero");
            result = a % b;
            break;
        case DW_OP_mul:
            result = a * b;
            break;
        case DW_OP_or:
            result = a | b;
            break;
        case DW_OP_plus:
            result = a + b;
            break;
        case DW_OP_shl:
            result = b >= 64 ? 0 : a << b;
            break;
        case DW_OP_shr:
            result = b >= 64 ? 0 : a >> b;
            break;
        case DW_OP_shra:
            result = static_cast<std::uint64_t>(sa >> (b >= 64 ? 63 : b));
            break;
        case DW_OP_xor:
            result = a ^ b;
            break;
        case DW_OP_eq:
            result = sa == sb;
            break;
        case DW_OP_ge:
            result = sa >= sb;
            break;
        case DW_OP_gt:
            result = sa > sb;
            break;
        case DW_OP_le:
            result = sa <= sb;
            break;
        case DW_OP_lt:
            result = sa < sb;
            break;
        default:
            result = sa != sb;
            break;
        }
        stack_.push_back(result);
        return true;
    }
    case DW_OP_skip:
    case DW_OP_bra: {
        if (atom == DW_OP_bra) {
            auto condition = pop(op);
            if (!condition)
                return std::unexpected(condition.error());
            if (*condition == 0)
                return true;
        }
        auto target = branch_target(op);
        if (!target)
            return std::unexpected(target.error());
        next = *target;
        return true;
    }
    case DW_OP_nop:
        return true;
    case DW_OP_stack_value: {
        auto value = pop(op);
        if (!value)
            return std::unexpected(value.error());
        LocationPiece piece{Kind::implicit, 0, 0, 0, std::vector<std::byte>(8), 0};
        for (std::size_t i = 0; i < 8; ++i)
            piece.bytes[i] = static_cast<std::byte>(*value >> (8 * i));
        pending_ = std::move(piece);
        return true;
    }
    case DW_OP_implicit_value: {
        // number is the block's length, number2 points at its bytes inside libdw's data.
        LocationPiece piece{Kind::implicit, 0, 0, 0, {}, 0};
        const auto* data = reinterpret_cast<const std::byte*>(op.number2);
        if (data == nullptr && op.number != 0)
            return fail("DWARF expression: DW_OP_implicit_value without data");
        piece.bytes.assign(data, data + op.number);
        pending_ = std::move(piece);
        return true;
    }
    case DW_OP_piece:
        finish_piece(op.number);
        return true;
    case DW_OP_bit_piece:
        if (op.number % 8 != 0 || op.number2 % 8 != 0) {
            // Sub-byte pieces: GDB shows such values whole; we give up on them.
            unavailable_ = true;
        }
        finish_piece(op.number / 8);
        return true;
    case DW_OP_entry_value:
    case DW_OP_GNU_entry_value:
    case DW_OP_GNU_parameter_ref:
    case DW_OP_implicit_pointer:
    case DW_OP_GNU_implicit_pointer:
    case DW_OP_regval_type:
    case DW_OP_GNU_regval_type:
    case DW_OP_deref_type:
    case DW_OP_GNU_deref_type:
    case DW_OP_const_type:
    case DW_OP_GNU_const_type:
    case DW_OP_convert:
    case DW_OP_GNU_convert:
    case DW_OP_reinterpret:
    case DW_OP_GNU_reinterpret:
        // Values known only at the call site, or typed stack operations: not recoverable
        // from this frame alone.
        return false;
    default:
        return fail("DWARF expression: unsupported operation {:#x} at offset {}", atom, op.offset);
    }
}

} // namespace

bool Location::optimized_out() const {
    if (pieces.empty())
        return true;
    for (const auto& piece : pieces)
        if (piece.kind != LocationPiece::Kind::optimized_out)
            return false;
    return true;
}

std::optional<std::uint64_t> Location::single_address() const {
    if (pieces.size() == 1 && pieces[0].kind == LocationPiece::Kind::memory)
        return pieces[0].address;
    return std::nullopt;
}

Result<Location> evaluate_location(std::span<const Dwarf_Op> ops, LocationContext& context) {
    if (ops.empty())
        return Location{{LocationPiece{}}};
    return Machine(ops, context).run();
}

Result<std::uint64_t> evaluate_address(std::span<const Dwarf_Op> ops, LocationContext& context) {
    auto location = evaluate_location(ops, context);
    if (!location)
        return std::unexpected(location.error());
    if (location->pieces.size() == 1) {
        const auto& piece = location->pieces[0];
        if (piece.kind == Kind::memory)
            return piece.address;
        if (piece.kind == Kind::reg)
            return piece.reg_value; // DW_OP_reg6 as a frame base means "rbp's value"
    }
    return fail("DWARF expression does not yield an address here");
}

Result<std::span<const Dwarf_Op>> location_at(Dwarf_Attribute* attribute, std::uint64_t pc) {
    Dwarf_Op* expr = nullptr;
    std::size_t length = 0;
    int found = dwarf_getlocation_addr(attribute, pc, &expr, &length, 1);
    if (found < 0)
        return fail("reading a DWARF location at {:#x}: {}", pc, dwarf_errmsg(-1));
    if (found == 0)
        return std::span<const Dwarf_Op>{};
    return std::span<const Dwarf_Op>(expr, length);
}

} // namespace kdive::debuginfo
