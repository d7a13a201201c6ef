// Parser, evaluator and printer on synthetic types and memory.
#include "eval/expression_evaluator.hpp"
#include "eval/expression_parser.hpp"
#include "eval/type_printer.hpp"
#include "eval/value_printer.hpp"
#include "synthetic_scope.hpp"

#include <gtest/gtest.h>

namespace kdive {
namespace {

class Expressions : public ::testing::Test {
protected:
    void SetUp() override {
        // pair0 = {a = -7, b = 5, c = 17, tag = "ab", next = &pair0}
        std::uint8_t pair[24] = {};
        const std::int32_t a = -7;
        std::memcpy(pair, &a, 4);
        const std::uint32_t bits = 5u | (17u << 3);
        std::memcpy(pair + 4, &bits, 4);
        std::memcpy(pair + 8, "ab", 2);
        const std::uint64_t next = 0x1000;
        std::memcpy(pair + 16, &next, 8);
        memory_.put(0x1000, pair, sizeof pair);
        std::int32_t numbers[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9};
        memory_.put(0x2000, numbers, sizeof numbers);
    }

    Result<eval::Value> evaluate(std::string_view text) {
        eval::ExpressionParser parser(scope_, arena_);
        auto parsed = parser.parse_expression(text);
        if (!parsed) {
            return std::unexpected(parsed.error());
        }
        eval::ExpressionEvaluator evaluator({scope_, arena_, history_, &memory_, nullptr});
        return evaluator.evaluate(**parsed);
    }

    std::string print(std::string_view text, char format = 0) {
        auto value = evaluate(text);
        if (!value) {
            return "error: " + value.error().message;
        }
        eval::PrintOptions options;
        options.format = format;
        auto out = eval::ValuePrinter(scope_, &memory_, options).format(*value);
        return out ? *out : "error: " + out.error().message;
    }

    testing::SyntheticScope scope_;
    testing::FakeMemory memory_;
    eval::TypeArena arena_;
    eval::ValueHistory history_;
};

TEST_F(Expressions, ArithmeticFollowsC) {
    EXPECT_EQ(print("1 + 2 * 3"), "7");
    EXPECT_EQ(print("(1 + 2) * 3"), "9");
    EXPECT_EQ(print("-5 / 2"), "-2");
    EXPECT_EQ(print("-5 % 3"), "-2");
    EXPECT_EQ(print("1 << 4 | 1"), "17");
    EXPECT_EQ(print("10 > 3 && 2 > 5"), "0");
    EXPECT_EQ(print("!0 + ~0"), "0");
    EXPECT_EQ(print("0xffffffff + 1"), "0") << "0xffffffff is an unsigned int";
    EXPECT_EQ(print("0xffffffffUL + 1"), "4294967296");
    EXPECT_EQ(print("(unsigned int)-1"), "4294967295");
    EXPECT_EQ(print("(char)65"), "65 'A'");
    EXPECT_EQ(print("'\\n'"), "10 '\\n'");
    EXPECT_EQ(print("\"hi\\tthere\""), "\"hi\\tthere\"");
    EXPECT_EQ(print("1 ? 2 : 3"), "2");
    EXPECT_EQ(print("sizeof(struct pair)"), "24");
    EXPECT_EQ(print("sizeof numbers / sizeof numbers[0]"), "12");
    EXPECT_EQ(print("1 / 0"), "error: Division by zero");
    EXPECT_EQ(print("255", 'x'), "0xff");
    EXPECT_EQ(print("-1", 'x'), "0xffffffff");
    EXPECT_EQ(print("5", 't'), "101");
    EXPECT_EQ(print("8", 'o'), "010");
}

TEST_F(Expressions, MembersPointersAndArrays) {
    EXPECT_EQ(print("pair0.a"), "-7");
    EXPECT_EQ(print("pair0.b"), "5");
    EXPECT_EQ(print("pair0.c"), "17");
    EXPECT_EQ(print("pair0.next->next->a"), "-7");
    EXPECT_EQ(print("(*pair0.next).tag"), "\"ab\\000\\000\\000\"");
    EXPECT_EQ(print("&pair0.tag[1]"), "0x1009 <pair0+9> \"b\"");
    EXPECT_EQ(print("&pair0"), "(struct pair *) 0x1000 <pair0>");
    EXPECT_EQ(print("(struct pair *)0x1000 == &pair0"), "1");
    EXPECT_EQ(print("&numbers[3] - &numbers[1]"), "2");
    EXPECT_EQ(print("*(numbers + 11)"), "9");
    EXPECT_EQ(print("numbers"), "{0 <repeats 11 times>, 9}");
    EXPECT_EQ(print("numbers[1]@3"), "{0, 0, 0}");
    EXPECT_EQ(print("{struct pair} 0x1000"), print("pair0"));
    EXPECT_EQ(print("pair0"),
              "{a = -7, b = 5, c = 17, tag = \"ab\\000\\000\\000\", next = 0x1000 <pair0>}");
    EXPECT_EQ(print("pair0", 'x'),
              "{a = 0xfffffff9, b = 0x5, c = 0x11, tag = {0x61, 0x62, 0x0, 0x0, 0x0, 0x0}, "
              "next = 0x1000}");
    EXPECT_EQ(print("offsetof(struct pair, next)"), "16");
    EXPECT_EQ(print("container_of(&pair0.next, struct pair, next)"),
              "(struct pair *) 0x1000 <pair0>");
    EXPECT_EQ(print("ON"), "ON");
    EXPECT_EQ(print("(enum mode)1"), "ON");
    EXPECT_EQ(print("(enum mode)7"), "(ON | unknown: 0x6)") << "disjoint values: a flag enum";
}

TEST_F(Expressions, AssignmentWritesThroughMemory) {
    EXPECT_EQ(print("pair0.a = 42"), "42");
    EXPECT_EQ(print("pair0.a"), "42");
    EXPECT_EQ(print("pair0.c = 3"), "3");
    EXPECT_EQ(print("pair0.c"), "3");
    EXPECT_EQ(print("pair0.b"), "5") << "neighbouring bitfield untouched";
    EXPECT_EQ(print("numbers[2] += 5"), "5");
    EXPECT_EQ(print("$x = pair0.a * 2"), "84");
    EXPECT_EQ(print("$x + 1"), "85");
    EXPECT_EQ(print("3 = 4"), "error: Left operand of assignment is not an lvalue.");
}

TEST_F(Expressions, ErrorsNameTheProblem) {
    EXPECT_EQ(print("nosuch + 1"), "error: No symbol \"nosuch\" in current context.");
    EXPECT_EQ(print("pair0.zzz"), "error: There is no member named zzz in struct pair.");
    EXPECT_EQ(print("*(int *)0x9000"), "error: Cannot access memory at address 0x9000");
    EXPECT_EQ(print("pair0.next->next = (struct pair *)0x9000, pair0.next->next->a"),
              "error: Cannot access memory at address 0x9010");
    EXPECT_EQ(print("(struct nosuch *)0"), "error: No struct type named nosuch.");
    EXPECT_EQ(print("1 +"), "error: A syntax error in expression, near `'.");
    EXPECT_EQ(print("$rip"), "error: No registers.");
    EXPECT_EQ(print("*1"), "error: Attempt to take contents of a non-pointer value.");
}

TEST_F(Expressions, TypeNamesPrintAsC) {
    eval::ExpressionParser parser(scope_, arena_);
    const auto name = [&](std::string_view text) {
        auto type = parser.parse_type_name(text);
        return type && *type ? eval::type_name(**type) : std::string("<none>");
    };
    EXPECT_EQ(name("struct pair *"), "struct pair *");
    EXPECT_EQ(name("unsigned int"), "unsigned int");
    EXPECT_EQ(name("const char *"), "const char *");
    EXPECT_EQ(name("char * const"), "char * const");
    EXPECT_EQ(name("int [4][2]"), "int [4][2]");
    EXPECT_EQ(name("pair0"), "<none>");
    EXPECT_EQ(eval::format_declaration(scope_.pair_type(), "", 1),
              "struct pair {\n    int a;\n    unsigned int b : 3;\n    unsigned int c : 5;\n"
              "    char tag[6];\n    struct pair *next;\n}");
}

} // namespace
} // namespace kdive
