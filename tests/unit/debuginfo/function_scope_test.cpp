// Function scopes and frame variables on a real gcc -O2 program: parameters, inlined calls,
// location lists that cover only part of a function.
#include "debuginfo/debug_info.hpp"
#include "debuginfo/function_scope.hpp"
#include "eval/frame_variables.hpp"
#include "support/subprocess.hpp"
#include "temp_dir.hpp"

#include <fstream>
#include <gtest/gtest.h>

namespace kdive {
namespace {

constexpr const char* program = R"(__attribute__((noinline)) int consume(int v)
{
    __asm__ volatile("" : : "r"(v) : "memory");
    return v;
}
static inline __attribute__((always_inline)) int twice(int x)
{
    int doubled = x * 2;
    return consume(doubled) + 1;
}
__attribute__((noinline)) int compute(int a, int b)
{
    int sum = a + b;
    int total = twice(sum);
    {
        int inner = total * a;
        consume(inner);
    }
    return total;
}
int main(void)
{
    return compute(3, 4);
}
)";
constexpr int twice_call_line = 14;

class FunctionScopes : public ::testing::Test {
protected:
    void SetUp() override {
        std::ofstream(dir_.path() / "scopes.c") << program;
        RunOptions options;
        options.working_dir = dir_.path().string();
        auto built = run_process(
            {"gcc", "-O2", "-g", "-fno-pie", "-no-pie", "-o", "scopes", "scopes.c"}, options);
        ASSERT_TRUE(built && built->exit_code == 0) << (built ? built->err : built.error().message);
        debuginfo::DebugInfoOptions info_options;
        info_options.cache_root = dir_.path() / "cache";
        auto info = debuginfo::DebugInfo::open(dir_.path() / "scopes", info_options);
        ASSERT_TRUE(info) << info.error().message;
        info_ = std::move(*info);
        const auto* symbol = info_->symbols().find("compute");
        ASSERT_NE(symbol, nullptr);
        compute_ = symbol->address;
        compute_size_ = symbol->size;
        ASSERT_GT(compute_size_, 0u);
    }

    std::vector<debuginfo::FunctionScope> scopes_at(std::uint64_t pc) {
        auto scopes = debuginfo::function_scopes_at(info_->dwarf(), pc);
        EXPECT_TRUE(scopes) << scopes.error().message;
        return scopes ? *scopes : std::vector<debuginfo::FunctionScope>{};
    }

    testing::TempDir dir_{"scopes"};
    std::unique_ptr<debuginfo::DebugInfo> info_;
    std::uint64_t compute_ = 0;
    std::uint64_t compute_size_ = 0;
};

TEST_F(FunctionScopes, TheFunctionAndItsParametersAtEntry) {
    auto scopes = scopes_at(compute_);
    ASSERT_EQ(scopes.size(), 1u);
    EXPECT_EQ(scopes[0].name, "compute");
    EXPECT_FALSE(scopes[0].inlined);
    ASSERT_EQ(scopes[0].parameters.size(), 2u);
    EXPECT_EQ(scopes[0].parameters[0].name, "a");
    EXPECT_EQ(scopes[0].parameters[1].name, "b");
    EXPECT_TRUE(scopes[0].contains(compute_));
    EXPECT_FALSE(scopes[0].contains(compute_ + compute_size_));
    // No function at all outside code.
    EXPECT_TRUE(scopes_at(8).empty());
}

TEST_F(FunctionScopes, InlinedCallIsAFrameWithItsCallSite) {
    bool found = false;
    for (std::uint64_t pc = compute_; pc < compute_ + compute_size_ && !found; ++pc) {
        auto scopes = scopes_at(pc);
        if (scopes.size() < 2)
            continue;
        found = true;
        EXPECT_EQ(scopes[0].name, "twice");
        EXPECT_TRUE(scopes[0].inlined);
        EXPECT_EQ(scopes[0].call_line, twice_call_line);
        EXPECT_EQ(scopes[0].call_file, "scopes.c");
        ASSERT_EQ(scopes[0].parameters.size(), 1u);
        EXPECT_EQ(scopes[0].parameters[0].name, "x");
        EXPECT_EQ(scopes.back().name, "compute");
        EXPECT_EQ(scopes[0].function_die_offset, scopes.back().die_offset);
    }
    EXPECT_TRUE(found) << "no pc of compute lies in the inlined twice()";
}

TEST_F(FunctionScopes, ParameterInItsRegisterAtEntry) {
    auto scopes = scopes_at(compute_);
    ASSERT_FALSE(scopes.empty());
    eval::FrameState frame;
    frame.scope = scopes[0];
    frame.lookup_pc = compute_;
    frame.registers[5] = 7;  // rdi: a
    frame.registers[4] = 35; // rsi: b
    frame.registers[7] = 0x7ffff000;
    frame.registers[16] = compute_;
    eval::FrameVariables variables(*info_, nullptr);
    auto a = variables.find(frame, "a");
    ASSERT_TRUE(a && *a) << (a ? a->error().message : "no a");
    EXPECT_EQ((*a)->register_name(), "rdi");
    EXPECT_EQ((*a)->as_bits(nullptr).value_or(0), 7u);
    auto b = variables.find(frame, "b");
    ASSERT_TRUE(b && *b);
    EXPECT_EQ((*b)->as_bits(nullptr).value_or(0), 35u);
    EXPECT_FALSE(variables.find(frame, "no_such_local"));
}

TEST_F(FunctionScopes, LocationListsDependOnThePc) {
    // `total` exists only once twice() has run: optimized out early in compute, not later.
    int optimized_out = 0;
    int available = 0;
    eval::FrameVariables variables(*info_, nullptr);
    for (std::uint64_t pc = compute_; pc < compute_ + compute_size_; ++pc) {
        auto scopes = scopes_at(pc);
        if (scopes.empty())
            continue;
        eval::FrameState frame;
        frame.scope = scopes.back();
        frame.lookup_pc = pc;
        for (auto& reg : frame.registers)
            reg = 0x1000;
        auto it = std::find_if(frame.scope.locals.begin(), frame.scope.locals.end(),
                               [](const auto& v) { return v.name == "total"; });
        if (it == frame.scope.locals.end())
            continue;
        auto value = variables.value_of(frame, *it);
        ASSERT_TRUE(value) << value.error().message;
        (value->is_optimized_out() ? optimized_out : available)++;
    }
    EXPECT_GT(optimized_out, 0);
    EXPECT_GT(available, 0);
}

} // namespace
} // namespace kdive
