// `kdive up`: the whole recipe in one command, checked by its own output.
#include "test_vm.hpp"

#include <algorithm>
#include <gtest/gtest.h>

namespace kdive::testing {
namespace {

TEST(Up, TourStopsAtStartKernelThenAsksTheKernel) {
    auto out = run_kdive({"up", "--kernel", test_kernel(), "--batch"});
    ASSERT_TRUE(out) << out.error().message;
    EXPECT_NE(out->find("stopped  at start_kernel"), std::string::npos) << *out;
    EXPECT_NE(out->find("of \"init/main.c\""), std::string::npos) << *out;
    EXPECT_NE(out->find("shell    up"), std::string::npos) << *out;
    EXPECT_NE(out->find("swapper/0"), std::string::npos) << *out;
    EXPECT_NE(out->find(" init\n"), std::string::npos) << *out; // pid 1 in ps
    EXPECT_NE(out->find("Run /init as init process"), std::string::npos) << *out;
    EXPECT_NE(out->find("stopped  the VM"), std::string::npos) << *out;
}

TEST(Up, CommandsRunAtTheBreakAndFailuresAreReported) {
    auto out = run_kdive({"up", "--kernel", test_kernel(), "--batch", "--break", "rest_init", "-ex",
                          "info symbol $rip", "-ex", "p init_task.pid"});
    ASSERT_TRUE(out) << out.error().message;
    // With --batch and -ex, stdout holds the two answers and nothing else.
    EXPECT_TRUE(out->starts_with("rest_init in section")) << *out;
    EXPECT_TRUE(out->ends_with("\n$1 = 0\n")) << *out;
    EXPECT_EQ(std::count(out->begin(), out->end(), '\n'), 2) << *out;
    auto bad = run_kdive({"up", "--kernel", test_kernel(), "--batch", "-ex", "p no_such_kdive"});
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().message.find("no_such_kdive"), std::string::npos) << bad.error().message;
}

} // namespace
} // namespace kdive::testing
