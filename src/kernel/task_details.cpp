// User memory is reached from the task's mm->pgd (a direct-map address, so physical is the
// address less page_offset_base) with the x86-64 walker; 5-level paging is the kernel's own
// __pgtable_l5_enabled. Strings are NUL-separated as /proc/PID/cmdline has them, at most 64 KiB.
#include "kernel/task_details.hpp"

#include "arch/x86_64/page_table_walker.hpp"

#include <algorithm>

namespace kdive::kernel {

namespace {

constexpr std::uint64_t max_area = std::uint64_t{64} << 10;
constexpr std::uint64_t default_page_offset = 0xffff888000000000ull;
constexpr std::uint64_t page = 4096;

Result<std::uint64_t> global_or(Kernel& kernel, std::string_view symbol, std::uint64_t fallback,
                                std::size_t size) {
    if (!kernel.has_symbol(symbol)) {
        return fallback;
    }
    auto at = kernel.address_of(symbol);
    if (!at) {
        return std::unexpected(at.error());
    }
    if (size == 4) {
        auto value = kernel.read_u32(*at);
        return value ? Result<std::uint64_t>(*value) : wrap(value.error(), symbol);
    }
    auto value = kernel.read_u64(*at);
    return value ? Result<std::uint64_t>(*value) : wrap(value.error(), symbol);
}

// At most max_area bytes of [start, end): arguments and environment are bounded as /proc's are.
Result<std::vector<std::byte>> read_user(Kernel& kernel, arch::x86_64::PageTableWalker& walker,
                                         std::uint64_t start, std::uint64_t end) {
    if (end <= start) {
        return std::vector<std::byte>{};
    }
    return read_user_memory(kernel, walker, start, std::min(end, start + max_area));
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

Result<std::vector<std::byte>> read_user_memory(Kernel& kernel,
                                                arch::x86_64::PageTableWalker& walker,
                                                std::uint64_t start, std::uint64_t end) {
    std::vector<std::byte> out;
    for (std::uint64_t at = start; at < end;) {
        const std::uint64_t chunk = std::min(end, (at & ~(page - 1)) + page) - at;
        auto translation = walker.translate(at);
        if (!translation) {
            return wrap(translation.error(), fmt::format("user address {:#x}", at));
        }
        if (!translation->physical) {
            return fail_as(ErrorKind::unmapped, "user address {:#x} is not present", at);
        }
        auto bytes = kernel.physical()->read_physical(*translation->physical, chunk);
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

Result<arch::x86_64::PageTableWalker> user_page_tables(Kernel& kernel, std::uint64_t task) {
    if (kernel.physical() == nullptr) {
        return fail_as(ErrorKind::unsupported, "this target has no physical memory reads");
    }
    auto mm = kernel.read_member(task, "task_struct", "mm");
    if (!mm) {
        return std::unexpected(mm.error());
    }
    if (*mm == 0) {
        return fail_as(ErrorKind::invalid_input, "task {:#x} is a kernel thread: it has no mm",
                       task);
    }
    auto pgd = kernel.read_member(*mm, "mm_struct", "pgd");
    if (!pgd) {
        return std::unexpected(pgd.error());
    }
    auto page_offset = global_or(kernel, "page_offset_base", default_page_offset, 8);
    auto five_level = global_or(kernel, "__pgtable_l5_enabled", 0, 4);
    if (!page_offset || !five_level) {
        return std::unexpected(!page_offset ? page_offset.error() : five_level.error());
    }
    if (*pgd < *page_offset) {
        return fail_as(ErrorKind::corrupt, "mm {:#x} has pgd {:#x} outside the direct map", *mm,
                       *pgd);
    }
    return arch::x86_64::PageTableWalker(*kernel.physical(), *pgd - *page_offset, *five_level != 0);
}

Result<TaskArguments> read_task_arguments(Kernel& kernel, std::uint64_t task) {
    auto tables = user_page_tables(kernel, task);
    if (!tables) {
        return std::unexpected(tables.error());
    }
    arch::x86_64::PageTableWalker& walker = *tables;
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
    auto arguments = read_user(kernel, walker, area[0], area[1]);
    if (!arguments) {
        return wrap(arguments.error(), fmt::format("reading the arguments of task {:#x}", task));
    }
    out.arguments = split_strings(*arguments);
    auto environment = read_user(kernel, walker, area[2], area[3]);
    if (!environment) {
        return wrap(environment.error(),
                    fmt::format("reading the environment of task {:#x}", task));
    }
    out.environment = split_strings(*environment);
    return out;
}

} // namespace kdive::kernel
