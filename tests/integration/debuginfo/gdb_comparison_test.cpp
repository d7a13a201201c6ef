// kdive's answers about a Debian vmlinux must equal GDB's, command for command.
#include "kernel_vmlinux.hpp"
#include "prerequisite.hpp"

#include <chrono>
#include <gtest/gtest.h>

namespace kdive {
namespace {

// Kernel facts every supported kernel has (5.10 … sid): types, member offsets, values of
// init_task as linked into the file, symbols and lines.
const std::vector<std::string> kernel_facts{
    "p sizeof(struct task_struct)",
    "p sizeof(struct mm_struct)",
    "p sizeof(struct file)",
    "p sizeof(struct inode)",
    "p sizeof(struct list_head)",
    "p sizeof(struct page)",
    "p &((struct task_struct *)0)->tasks",
    "p &((struct task_struct *)0)->comm",
    "p &((struct task_struct *)0)->pid",
    "p &((struct task_struct *)0)->mm",
    "p &((struct mm_struct *)0)->pgd",
    "p init_task.comm",
    "p init_task.pid",
    "p/x init_task.flags",
    "p init_task.prio",
    "p init_task.tasks",
    "p &init_task",
    "p init_task.mm",
    "p init_task.active_mm",
    "p/x init_task.thread_info",
    "p init_mm.pgd",
    "p jiffies",
    "p init_task.tasks.next == &init_task.tasks",
    "p sizeof(init_task.comm) * 2 + 1",
    "ptype struct list_head",
    "ptype struct hlist_node",
    "ptype struct file",
    "ptype struct task_struct",
    "ptype struct mm_struct",
    "ptype atomic_t",
    "ptype init_task.sched_class",
    "whatis init_task.tasks",
    "whatis init_task",
    "whatis &init_task",
    "whatis init_task.comm",
    "whatis u64",
    "ptype u64",
    "info address init_task",
    "info address start_kernel",
    "info symbol start_kernel",
    "info symbol &init_task.tasks",
    "info line start_kernel",
    "p start_kernel",
    "p &start_kernel",
    "p *init_task.tasks.next",
};

TEST(GdbComparison, AnswersMatchGdb) {
    const auto vmlinux = testing::test_vmlinux();
    if (!std::filesystem::exists(vmlinux)) {
        KDIVE_MISSING_PREREQUISITE()
            << vmlinux << " is missing; run `kdive kernel fetch " << testing::test_kernel() << "`";
    }
    if (find_program("gdb").empty()) {
        KDIVE_MISSING_PREREQUISITE() << "gdb is not installed";
    }
    auto expected = testing::gdb_answers(vmlinux, kernel_facts);
    ASSERT_TRUE(expected) << expected.error().message;

    auto info = debuginfo::DebugInfo::open(vmlinux, {});
    ASSERT_TRUE(info) << info.error().message;
    cli::EvalCommands eval(**info);
    int mismatches = 0;
    for (std::size_t i = 0; i < kernel_facts.size(); ++i) {
        auto answer = eval.run(kernel_facts[i]);
        ASSERT_TRUE(answer) << kernel_facts[i] << " not handled";
        const std::string ours = *answer ? testing::without_history_number(**answer)
                                         : "error: " + answer->error().message;
        if (ours != (*expected)[i]) {
            ++mismatches;
        }
        EXPECT_EQ(ours, (*expected)[i]) << "command: " << kernel_facts[i];
    }
    EXPECT_EQ(mismatches, 0);
}

// The same through the real binary, cold (empty cache) and warm.
TEST(GdbComparison, InspectCommandAnswersFromTheFile) {
    const auto vmlinux = testing::test_vmlinux();
    if (!std::filesystem::exists(vmlinux)) {
        KDIVE_MISSING_PREREQUISITE() << vmlinux << " is missing";
    }
    const auto cache = std::filesystem::temp_directory_path() /
                       ("kdive-inspect-cache-" + std::to_string(getpid()));
    std::filesystem::remove_all(cache);
    RunOptions options;
    options.env = {"KDIVE_CACHE=" + cache.string()};
    for (int round = 0; round < 2; ++round) {
        auto run = run_process({KDIVE_BINARY, "inspect", "--vmlinux", vmlinux.string(), "-ex",
                                "ptype struct list_head", "-ex", "p init_task.pid", "-ex",
                                "p nosuch_symbol"},
                               options);
        ASSERT_TRUE(run);
        EXPECT_EQ(run->exit_code, 1) << "the unknown symbol fails the run";
        EXPECT_NE(run->out.find("type = struct list_head {\n    struct list_head *next;\n"),
                  std::string::npos)
            << run->out;
        EXPECT_NE(run->out.find("$1 = 0"), std::string::npos) << run->out;
        EXPECT_NE(run->err.find("No symbol \"nosuch_symbol\" in current context."),
                  std::string::npos)
            << run->err;
    }
    std::filesystem::remove_all(cache);
}

} // namespace
} // namespace kdive
