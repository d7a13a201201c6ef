// What crash's ps options show of a task beyond ps's row: its times (-t) and its arguments and
// environment read from its own memory (-a).
#pragma once

#include "kernel/kernel.hpp"
#include "kernel/user_page_tables.hpp"
#include "support/error.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace kdive::kernel {

struct TaskTimes {
    std::uint64_t start_ns = 0;  // since boot, counting suspend (start_boottime)
    std::uint64_t user_ns = 0;   // utime
    std::uint64_t system_ns = 0; // stime
};

Result<TaskTimes> read_task_times(Kernel& kernel, std::uint64_t task);

struct TaskArguments {
    std::vector<std::string> arguments;   // argv, from mm->arg_start..arg_end
    std::vector<std::string> environment; // from mm->env_start..env_end
};

// The user bytes [start, end) through a task's tables (UserPageTables::of_task); a page not
// present is an error naming it.
Result<std::vector<std::byte>> read_user_memory(Kernel& kernel, UserPageTables& tables,
                                                std::uint64_t start, std::uint64_t end);

// Read through the task's own page tables (mm->pgd); a kernel thread has neither. A page that
// is not present (swapped out, never touched) is an error naming the user address.
Result<TaskArguments> read_task_arguments(Kernel& kernel, std::uint64_t task);

} // namespace kdive::kernel
