// A vmlinux without BTF answers from DWARF like GDB; one without DWARF answers types from
// BTF and says clearly what it cannot know.
#include "kernel_vmlinux.hpp"
#include "prerequisite.hpp"
#include "temp_dir.hpp"

#include <gtest/gtest.h>

namespace kdive {
namespace {

class DegradedVmlinux : public ::testing::Test {
protected:
    void SetUp() override {
        vmlinux_ = testing::test_vmlinux();
        if (!std::filesystem::exists(vmlinux_)) {
            KDIVE_MISSING_PREREQUISITE() << vmlinux_ << " is missing";
        }
    }

    std::filesystem::path objcopy(const std::vector<std::string>& flags, const std::string& name) {
        std::vector<std::string> argv{"objcopy"};
        argv.insert(argv.end(), flags.begin(), flags.end());
        argv.insert(argv.end(), {vmlinux_.string(), (dir_ / name).string()});
        auto run = run_process(argv);
        EXPECT_TRUE(run && run->exit_code == 0) << (run ? run->err : run.error().message);
        return dir_ / name;
    }

    std::string run(cli::EvalCommands& eval, const std::string& line) {
        auto answer = eval.run(line);
        if (!answer) {
            return "<not handled>";
        }
        return *answer ? testing::without_history_number(**answer)
                       : "error: " + answer->error().message;
    }

    std::filesystem::path vmlinux_;
    testing::TempDir dir_{"degraded"};
};

TEST_F(DegradedVmlinux, WithoutBtfDwarfAnswersLikeGdb) {
    // Removing .BTF outright fails (__start_BTF refers to it); renamed, no reader finds it.
    const auto no_btf = objcopy({"--rename-section", ".BTF=.BTF.hidden"}, "vmlinux-no-btf");
    const std::vector<std::string> commands{"ptype struct task_struct",   "ptype struct file",
                                            "p sizeof(struct mm_struct)", "p init_task.comm",
                                            "whatis init_task.tasks",     "p current_task"};
    auto expected = testing::gdb_answers(no_btf, commands);
    ASSERT_TRUE(expected) << expected.error().message;
    debuginfo::DebugInfoOptions options;
    options.cache_root = dir_ / "cache";
    auto info = debuginfo::DebugInfo::open(no_btf, options);
    ASSERT_TRUE(info) << info.error().message;
    EXPECT_FALSE((*info)->has_btf());
    cli::EvalCommands eval(**info);
    for (std::size_t i = 0; i < commands.size(); ++i) {
        EXPECT_EQ(run(eval, commands[i]), (*expected)[i]) << commands[i];
    }
}

TEST_F(DegradedVmlinux, WithoutDwarfBtfStillKnowsTypes) {
    const auto no_dwarf = objcopy({"--strip-debug"}, "vmlinux-no-dwarf");
    auto info = debuginfo::DebugInfo::open(no_dwarf, {});
    ASSERT_TRUE(info) << info.error().message;
    EXPECT_TRUE((*info)->has_btf()) << ".BTF is an allocated section: strip-debug keeps it";
    EXPECT_FALSE((*info)->has_dwarf());
    cli::EvalCommands eval(**info);
    EXPECT_EQ(
        run(eval, "ptype struct list_head"),
        "type = struct list_head {\n    struct list_head *next;\n    struct list_head *prev;\n}");
    EXPECT_EQ(run(eval, "p ((struct task_struct *)&init_task)->pid"), "0");
    EXPECT_EQ(run(eval, "p init_task.pid"),
              "error: 'init_task' has unknown type; cast it to its declared type");
    EXPECT_NE(run(eval, "info line start_kernel").find("no DWARF line tables"), std::string::npos);
    EXPECT_EQ(run(eval, "ptype struct no_such_struct"),
              "error: No struct type named no_such_struct.");
}

} // namespace
} // namespace kdive
