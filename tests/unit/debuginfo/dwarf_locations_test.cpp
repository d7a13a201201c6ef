// DWARF location expressions on hand-built operation lists: registers, memory, pieces, values.
#include "debuginfo/dwarf_locations.hpp"

#include <dwarf.h>
#include <gtest/gtest.h>
#include <map>

namespace kdive {
namespace {

using debuginfo::LocationPiece;

class FakeFrame final : public debuginfo::LocationContext {
public:
    std::map<unsigned, std::uint64_t> registers;
    std::map<std::uint64_t, std::uint64_t> memory;
    std::optional<std::uint64_t> base;
    std::optional<std::uint64_t> canonical_frame;
    std::uint64_t load_offset = 0;

    std::optional<std::uint64_t> reg(unsigned dwarf_reg) override {
        auto found = registers.find(dwarf_reg);
        return found == registers.end() ? std::nullopt : std::optional(found->second);
    }
    Result<std::uint64_t> read(std::uint64_t address, std::size_t size) override {
        auto found = memory.find(address);
        if (found == memory.end())
            return fail("Cannot access memory at address {:#x}", address);
        return size >= 8 ? found->second : found->second & ((1ULL << (8 * size)) - 1);
    }
    Result<std::uint64_t> frame_base() override {
        if (!base)
            return fail("no frame base");
        return *base;
    }
    Result<std::uint64_t> cfa() override {
        if (!canonical_frame)
            return fail("no CFA");
        return *canonical_frame;
    }
    std::uint64_t relocate(std::uint64_t address) override { return address + load_offset; }
};

// Operations with their byte offsets filled in as libdw would (sizes as encoded).
std::vector<Dwarf_Op>
ops(std::initializer_list<std::tuple<std::uint8_t, Dwarf_Word, Dwarf_Word>> list,
    std::initializer_list<Dwarf_Word> sizes = {}) {
    std::vector<Dwarf_Op> out;
    Dwarf_Word offset = 0;
    auto size = sizes.begin();
    for (const auto& [atom, number, number2] : list) {
        out.push_back(Dwarf_Op{atom, number, number2, offset});
        offset += size != sizes.end() ? *size++ : 1;
    }
    return out;
}

Result<debuginfo::Location> evaluate(const std::vector<Dwarf_Op>& list, FakeFrame& frame) {
    return debuginfo::evaluate_location(list, frame);
}

TEST(DwarfLocations, RegisterHoldsTheValue) {
    FakeFrame frame;
    frame.registers[5] = 0x1234; // rdi
    auto location = evaluate(ops({{DW_OP_reg5, 0, 0}}), frame);
    ASSERT_TRUE(location) << location.error().message;
    ASSERT_EQ(location->pieces.size(), 1u);
    EXPECT_EQ(location->pieces[0].kind, LocationPiece::Kind::reg);
    EXPECT_EQ(location->pieces[0].reg, 5u);
    EXPECT_EQ(location->pieces[0].reg_value, 0x1234u);
    EXPECT_FALSE(location->single_address());
}

TEST(DwarfLocations, BaseRegisterPlusOffsetIsMemory) {
    FakeFrame frame;
    frame.registers[7] = 0xffffc90000013f00; // rsp
    auto location = evaluate(ops({{DW_OP_breg7, static_cast<Dwarf_Word>(-16), 0}}), frame);
    ASSERT_TRUE(location) << location.error().message;
    ASSERT_TRUE(location->single_address());
    EXPECT_EQ(*location->single_address(), 0xffffc90000013ef0u);

    frame.registers[12] = 0x1000;
    location = evaluate(ops({{DW_OP_bregx, 12, 0x20}}), frame);
    ASSERT_TRUE(location);
    EXPECT_EQ(*location->single_address(), 0x1020u);
}

TEST(DwarfLocations, FrameBaseAndCallFrameCfa) {
    FakeFrame frame;
    frame.base = 0x5000;
    auto location = evaluate(ops({{DW_OP_fbreg, static_cast<Dwarf_Word>(-24), 0}}), frame);
    ASSERT_TRUE(location);
    EXPECT_EQ(*location->single_address(), 0x5000u - 24);

    frame.canonical_frame = 0x7008;
    auto base = debuginfo::evaluate_address(ops({{DW_OP_call_frame_cfa, 0, 0}}), frame);
    ASSERT_TRUE(base) << base.error().message;
    EXPECT_EQ(*base, 0x7008u);
}

TEST(DwarfLocations, AddressFollowsTheLoadOffset) {
    FakeFrame frame;
    frame.load_offset = 0x2000000;
    auto location = evaluate(ops({{DW_OP_addr, 0xffffffff82000000, 0}}), frame);
    ASSERT_TRUE(location);
    EXPECT_EQ(*location->single_address(), 0xffffffff84000000u);
}

TEST(DwarfLocations, ArithmeticAndDereference) {
    FakeFrame frame;
    frame.registers[3] = 0x100;   // rbx
    frame.memory[0x108] = 0x4000; // *(rbx + 8)
    auto location = evaluate(ops({{DW_OP_breg3, 8, 0},
                                  {DW_OP_deref, 0, 0},
                                  {DW_OP_lit4, 0, 0},
                                  {DW_OP_mul, 0, 0},
                                  {DW_OP_plus_uconst, 3, 0}}),
                             frame);
    ASSERT_TRUE(location) << location.error().message;
    EXPECT_EQ(*location->single_address(), 0x4000u * 4 + 3);
}

TEST(DwarfLocations, StackValueIsTheValueItself) {
    FakeFrame frame;
    frame.registers[0] = 41; // rax
    auto location = evaluate(ops({{DW_OP_breg0, 1, 0}, {DW_OP_stack_value, 0, 0}}), frame);
    ASSERT_TRUE(location);
    ASSERT_EQ(location->pieces.size(), 1u);
    const auto& piece = location->pieces[0];
    EXPECT_EQ(piece.kind, LocationPiece::Kind::implicit);
    ASSERT_GE(piece.bytes.size(), 1u);
    EXPECT_EQ(piece.bytes[0], std::byte{42});
}

TEST(DwarfLocations, ImplicitValueBytes) {
    FakeFrame frame;
    static const unsigned char data[] = {0x78, 0x56, 0x34, 0x12};
    auto location = evaluate(
        ops({{DW_OP_implicit_value, sizeof data, reinterpret_cast<Dwarf_Word>(data)}}), frame);
    ASSERT_TRUE(location);
    ASSERT_EQ(location->pieces[0].kind, LocationPiece::Kind::implicit);
    ASSERT_EQ(location->pieces[0].bytes.size(), 4u);
    EXPECT_EQ(location->pieces[0].bytes[3], std::byte{0x12});
}

TEST(DwarfLocations, PiecesSplitAValue) {
    FakeFrame frame;
    frame.registers[0] = 0x11; // rax
    frame.registers[7] = 0x9000;
    auto location = evaluate(ops({{DW_OP_reg0, 0, 0},
                                  {DW_OP_piece, 4, 0},
                                  {DW_OP_breg7, 8, 0},
                                  {DW_OP_piece, 4, 0},
                                  {DW_OP_piece, 8, 0}}),
                             frame);
    ASSERT_TRUE(location) << location.error().message;
    ASSERT_EQ(location->pieces.size(), 3u);
    EXPECT_EQ(location->pieces[0].kind, LocationPiece::Kind::reg);
    EXPECT_EQ(location->pieces[0].size, 4u);
    EXPECT_EQ(location->pieces[1].kind, LocationPiece::Kind::memory);
    EXPECT_EQ(location->pieces[1].address, 0x9008u);
    // An empty piece: the compiler kept nothing for those bytes.
    EXPECT_EQ(location->pieces[2].kind, LocationPiece::Kind::optimized_out);
    EXPECT_FALSE(location->optimized_out());
}

TEST(DwarfLocations, EntryValueIsOptimizedOut) {
    FakeFrame frame;
    frame.registers[5] = 1;
    auto location = evaluate(ops({{DW_OP_entry_value, 1, 0}, {DW_OP_stack_value, 0, 0}}), frame);
    ASSERT_TRUE(location) << location.error().message;
    EXPECT_TRUE(location->optimized_out());
    location = evaluate(ops({{DW_OP_GNU_entry_value, 1, 0}, {DW_OP_stack_value, 0, 0}}), frame);
    ASSERT_TRUE(location);
    EXPECT_TRUE(location->optimized_out());
}

TEST(DwarfLocations, UnknownRegisterOrEmptyExpressionIsOptimizedOut) {
    FakeFrame frame; // a caller frame that does not know rbx
    auto location = evaluate(ops({{DW_OP_reg3, 0, 0}}), frame);
    ASSERT_TRUE(location);
    EXPECT_TRUE(location->optimized_out());
    location = evaluate({}, frame);
    ASSERT_TRUE(location);
    EXPECT_TRUE(location->optimized_out());
}

TEST(DwarfLocations, BranchesFollowByteOffsets) {
    FakeFrame frame;
    // lit0; bra +1 (not taken); lit5; skip +1; lit7; stack_value -> 5
    auto location = evaluate(ops({{DW_OP_lit0, 0, 0},
                                  {DW_OP_bra, 3, 0},
                                  {DW_OP_lit5, 0, 0},
                                  {DW_OP_skip, 1, 0},
                                  {DW_OP_lit7, 0, 0},
                                  {DW_OP_stack_value, 0, 0}},
                                 {1, 3, 1, 3, 1, 1}),
                             frame);
    ASSERT_TRUE(location) << location.error().message;
    EXPECT_EQ(location->pieces[0].bytes[0], std::byte{5});
}

TEST(DwarfLocations, MalformedExpressionsFail) {
    FakeFrame frame;
    EXPECT_FALSE(evaluate(ops({{DW_OP_plus, 0, 0}}), frame));
    EXPECT_FALSE(evaluate(ops({{DW_OP_lit1, 0, 0}, {DW_OP_lit0, 0, 0}, {DW_OP_div, 0, 0}}), frame));
    frame.registers[0] = 1;
    EXPECT_FALSE(evaluate(ops({{DW_OP_reg0, 0, 0}, {DW_OP_lit1, 0, 0}}), frame));
    EXPECT_FALSE(evaluate(ops({{DW_OP_lit1, 0, 0}, {0xff, 0, 0}}), frame)); // unknown op
    // A deref of unreadable memory names the address.
    auto unreadable = evaluate(ops({{DW_OP_lit8, 0, 0}, {DW_OP_deref, 0, 0}}), frame);
    ASSERT_FALSE(unreadable);
    EXPECT_NE(unreadable.error().message.find("0x8"), std::string::npos);
}

} // namespace
} // namespace kdive
