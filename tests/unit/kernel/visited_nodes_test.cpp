// Cycle detection for guest list walks: the error names where the cycle closes.
#include "kernel/visited_nodes.hpp"

#include <gtest/gtest.h>

namespace kdive::kernel {
namespace {

TEST(VisitedNodes, NamesTheNodeWhereTheCycleCloses) {
    VisitedNodes visited("init_task.tasks");
    EXPECT_TRUE(visited.visit(0x1000));
    EXPECT_TRUE(visited.visit(0x2000));
    EXPECT_TRUE(visited.visit(0x3000));
    auto again = visited.visit(0x2000);
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().kind, ErrorKind::corrupt);
    EXPECT_NE(again.error().message.find("init_task.tasks loops back to 0x2000"), std::string::npos)
        << again.error().message;
    EXPECT_EQ(visited.size(), 3u);
}

} // namespace
} // namespace kdive::kernel
