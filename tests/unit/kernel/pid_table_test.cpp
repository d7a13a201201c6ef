// The pid table walk on a synthetic two-level xarray: nodes, pid pointers, value and sibling
// entries skipped, pids without a task, and trees that do not end.
#include "kernel/pid_table.hpp"
#include "region_memory.hpp"

#include <gtest/gtest.h>

namespace kdive::kernel {
namespace {

using testing::RegionMemory;

constexpr std::uint64_t ns = 0x1000;
constexpr PidTableLayout layout{0x40, 0x28, 4, 0x10, 0x100};

std::uint64_t node_entry(std::uint64_t node) {
    return node | 2;
}

// A pid at `address` whose task's pid_links sit at task + 0x100.
void put_pid(RegionMemory& memory, std::uint64_t address, std::uint64_t task) {
    memory.region(address, 0x20);
    memory.put_value<std::uint64_t>(address + layout.pid_tasks,
                                    task == 0 ? 0 : task + layout.task_pid_links);
}

TEST(PidTable, WalksEveryLevelAndSkipsSpecialEntries) {
    RegionMemory memory;
    memory.region(ns, 0x100);
    const std::uint64_t root = 0x10000, left = 0x11000, right = 0x12000;
    for (std::uint64_t node : {root, left, right}) {
        memory.region(node, 0x28 + 4 * 8);
    }
    memory.put_value<std::uint64_t>(ns + layout.head, node_entry(root));
    memory.put_value<std::uint64_t>(root + 0x28, node_entry(left));
    memory.put_value<std::uint64_t>(root + 0x28 + 8, node_entry(right));
    memory.put_value<std::uint64_t>(root + 0x28 + 16, 0x7);      // a value entry
    memory.put_value<std::uint64_t>(left + 0x28, 0x20000);       // pid → task 0x50000
    memory.put_value<std::uint64_t>(left + 0x28 + 8, 0x6);       // a sibling/retry entry
    memory.put_value<std::uint64_t>(right + 0x28 + 24, 0x21000); // pid → task 0x51000
    memory.put_value<std::uint64_t>(right + 0x28 + 16, 0x22000); // pid without a task
    put_pid(memory, 0x20000, 0x50000);
    put_pid(memory, 0x21000, 0x51000);
    put_pid(memory, 0x22000, 0);
    auto tasks = tasks_from_pid_table(memory, ns, layout);
    ASSERT_TRUE(tasks) << tasks.error().message;
    EXPECT_EQ(*tasks, (std::vector<std::uint64_t>{0x50000, 0x51000}));
}

TEST(PidTable, PidsSharingAPageAreReadWithIt) {
    constexpr PidTableLayout wide{0x40, 0x28, 8, 0x10, 0x100};
    RegionMemory memory;
    memory.region(ns, 0x100);
    const std::uint64_t node = 0x10000;
    memory.region(node, 0x28 + 8 * 8);
    memory.put_value<std::uint64_t>(ns + wide.head, node_entry(node));
    memory.region(0x20000, 4096); // a slab page of pids
    std::vector<std::uint64_t> expected;
    for (std::uint64_t i = 0; i < 5; ++i) {
        const std::uint64_t pid = 0x20000 + 0x80 * i;
        memory.put_value<std::uint64_t>(node + 0x28 + 8 * i, pid);
        memory.put_value<std::uint64_t>(pid + wide.pid_tasks, 0x50000 + 0x1000 * i + 0x100);
        expected.push_back(0x50000 + 0x1000 * i);
    }
    memory.put_value<std::uint64_t>(node + 0x28 + 8 * 5, 0x30000); // alone in its page
    put_pid(memory, 0x30000, 0x60000);
    expected.push_back(0x60000);
    memory.reads = 0;
    auto tasks = tasks_from_pid_table(memory, ns, wide);
    ASSERT_TRUE(tasks) << tasks.error().message;
    EXPECT_EQ(*tasks, expected);
    EXPECT_EQ(memory.reads, 4) << "head, node, the shared page, the lone pid";
}

TEST(PidTable, SinglePidAtTheHead) {
    RegionMemory memory;
    memory.region(ns, 0x100);
    memory.put_value<std::uint64_t>(ns + layout.head, 0x20000);
    put_pid(memory, 0x20000, 0x50000);
    auto tasks = tasks_from_pid_table(memory, ns, layout);
    ASSERT_TRUE(tasks) << tasks.error().message;
    EXPECT_EQ(*tasks, std::vector<std::uint64_t>{0x50000});
}

TEST(PidTable, ACycleEndsWithAnError) {
    RegionMemory memory;
    memory.region(ns, 0x100);
    const std::uint64_t node = 0x10000;
    memory.region(node, 0x28 + 4 * 8);
    memory.put_value<std::uint64_t>(ns + layout.head, node_entry(node));
    memory.put_value<std::uint64_t>(node + 0x28, node_entry(node)); // points at itself
    auto tasks = tasks_from_pid_table(memory, ns, layout);
    ASSERT_FALSE(tasks);
    EXPECT_NE(tasks.error().message.find("deeper than"), std::string::npos);
}

TEST(PidTable, UnreadableNodeNamesTheTable) {
    RegionMemory memory;
    memory.region(ns, 0x100);
    memory.put_value<std::uint64_t>(ns + layout.head, node_entry(0x90000));
    auto tasks = tasks_from_pid_table(memory, ns, layout);
    ASSERT_FALSE(tasks);
    EXPECT_NE(tasks.error().message.find("pid table's nodes"), std::string::npos);
    EXPECT_NE(tasks.error().message.find("0x90028"), std::string::npos);
}

} // namespace
} // namespace kdive::kernel
