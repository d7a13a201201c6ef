// User memory is reached through the task's own page tables (UserPageTables). Strings are
// NUL-separated as /proc/PID/cmdline has them, at most 64 KiB.
#include "kernel/task_details.hpp"

#include <algorithm>

namespace kdive::kernel {

namespace {

constexpr std::uint64_t max_area = std::uint64_t{64} << 10;
constexpr std::uint64_t page = 4096;

// At most max_area bytes of [start, end): arguments and environment are bounded as /proc's are.
Result<std::vector<std::byte>> read_user(Kernel& kernel, UserPageTables& tables,
                                         std::uint64_t start, std::uint64_t end) {
    if (end <= start) {
        return std::vector<std::byte>{};
    }
    return read_user_memory(kernel, tables, start, std::min(end, start + max_area));
}

std::vector<std::string> split_strings(const std::vector<std::byte>& bytes) {
    std::vector<std::string> out;
    std::string current;
    for (const std::byte b : bytes) {
        if (b == std::byte{0}) {
            out.push_back(std::move(current));
            current.clear();
        } else {
            current.push_back(static_cast<char>(b));
        }
    }
    if (!current.empty()) {
        out.push_back(std::move(current));
    }
    // A program that blanks its arguments (BusyBox init does) leaves only NULs behind.
    while (!out.empty() && out.back().empty()) {
        out.pop_back();
    }
    return out;
}

} // namespace

Result<std::vector<std::byte>> read_user_memory(Kernel& kernel, UserPageTables& tables,
                                                std::uint64_t start, std::uint64_t end) {
    std::vector<std::byte> out;
    for (std::uint64_t at = start; at < end;) {
        const std::uint64_t chunk = std::min(end, (at & ~(page - 1)) + page) - at;
        auto physical = tables.physical_of(at);
        if (!physical) {
            return wrap(physical.error(), fmt::format("user address {:#x}", at));
        }
        if (!*physical) {
            return fail_as(ErrorKind::unmapped, "user address {:#x} is not present", at);
        }
        auto bytes = kernel.physical()->read_physical(**physical, chunk);
        if (!bytes) {
            return std::unexpected(bytes.error());
        }
        out.insert(out.end(), bytes->begin(), bytes->end());
        at += chunk;
    }
    return out;
}

Result<TaskTimes> read_task_times(Kernel& kernel, std::uint64_t task) {
    TaskTimes times;
    for (auto [path, into] : {std::pair{"start_boottime", &times.start_ns},
                              {"utime", &times.user_ns},
                              {"stime", &times.system_ns}}) {
        auto value = kernel.read_member(task, "task_struct", path);
        if (!value) {
            return std::unexpected(value.error());
        }
        *into = *value;
    }
    return times;
}

Result<TaskArguments> read_task_arguments(Kernel& kernel, std::uint64_t task) {
    auto tables = UserPageTables::of_task(kernel, task);
    if (!tables) {
        return std::unexpected(tables.error());
    }
    auto mm = kernel.read_member(task, "task_struct", "mm");
    if (!mm) {
        return std::unexpected(mm.error());
    }
    std::uint64_t area[4] = {};
    const char* names[4] = {"arg_start", "arg_end", "env_start", "env_end"};
    for (std::size_t i = 0; i < 4; ++i) {
        auto value = kernel.read_member(*mm, "mm_struct", names[i]);
        if (!value) {
            return std::unexpected(value.error());
        }
        area[i] = *value;
    }
    TaskArguments out;
    auto arguments = read_user(kernel, *tables, area[0], area[1]);
    if (!arguments) {
        return wrap(arguments.error(), fmt::format("reading the arguments of task {:#x}", task));
    }
    out.arguments = split_strings(*arguments);
    auto environment = read_user(kernel, *tables, area[2], area[3]);
    if (!environment) {
        return wrap(environment.error(),
                    fmt::format("reading the environment of task {:#x}", task));
    }
    out.environment = split_strings(*environment);
    return out;
}

} // namespace kdive::kernel
