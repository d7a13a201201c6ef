// Text and JSON forms of the kernel commands' answers, apart from reading them, so each can be
// tested with hostile guest strings.
#pragma once

#include "kernel/kernel_version.hpp"
#include "kernel/module_debug_info.hpp"
#include "kernel/module_list.hpp"
#include "kernel/mount_list.hpp"
#include "kernel/printk_reader.hpp"
#include "kernel/stack_unwinder.hpp"
#include "kernel/task_walker.hpp"

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kdive::cli {

// Every string in the JSON forms goes through json_text (support/guest_text.hpp), every guest
// string in the text forms through terminal_text.

// A JSON string of guest bytes; null when empty (`null_if_empty`).
nlohmann::json guest_string(std::string_view bytes, bool null_if_empty = false);

// One CPU's line of `current`.
struct CurrentRow {
    int cpu = 0;
    kernel::TaskInfo task;
    std::optional<std::uint64_t> thread_info; // inside task_struct (THREAD_INFO_IN_TASK)
};
std::string current_json(const std::vector<CurrentRow>& rows);
std::string current_text(const std::vector<CurrentRow>& rows); // header and one line per CPU

std::string ps_json(const std::vector<kernel::TaskInfo>& tasks);
std::string ps_text(const std::vector<kernel::TaskInfo>& tasks);

std::string dmesg_json(const std::vector<kernel::PrintkRecord>& records);

// `list`: each entry's address, and with -s the members asked for, as the value printer
// formatted them (already escaped for the terminal).
struct ListEntry {
    std::uint64_t address = 0;
    std::vector<std::pair<std::string, std::string>> members; // name, formatted value
};
std::string list_json(const std::vector<ListEntry>& entries);
std::string list_text(const std::vector<ListEntry>& entries);
std::string dmesg_text(const std::vector<kernel::PrintkRecord>& records);
// crash's `log`: -m puts each record's level ("<6>") after the time stamp; with the boot's
// wall-clock seconds (-T) the time is a UTC date. The JSON is dmesg's, with "wall_time" (epoch
// seconds) per record when the boot's wall clock is known.
std::string log_text(const std::vector<kernel::PrintkRecord>& records, bool levels,
                     std::optional<double> boot_wall_seconds);
std::string log_json(const std::vector<kernel::PrintkRecord>& records,
                     std::optional<double> boot_wall_seconds);

std::string lsmod_json(const std::vector<kernel::ModuleInfo>& modules);
std::string lsmod_text(const std::vector<kernel::ModuleInfo>& modules);
// `lsmod --symbols`: each module's debug file and section addresses; the text form is GDB's
// add-symbol-file lines (sections whose names GDB could misread are left out of it).
std::string module_symbols_json(const std::vector<kernel::ModuleDebugInfo::SymbolFile>& files);
std::string module_symbols_text(const std::vector<kernel::ModuleDebugInfo::SymbolFile>& files);

std::string mounts_json(const std::vector<kernel::MountInfo>& mounts);
std::string mounts_text(const std::vector<kernel::MountInfo>& mounts);

std::string cmdline_json(std::string_view line);
std::string cmdline_text(std::string_view line);

std::string version_json(const kernel::KernelVersion& version, std::uint64_t kaslr_offset);
// kernel::mismatch_message with both banners escaped (it becomes every command's error).
std::string mismatch_text(const kernel::KernelVersion& version);
std::string version_text(const kernel::KernelVersion& version, std::uint64_t kaslr_offset,
                         std::string_view kaslr_method);

std::string kconfig_text(std::string_view config);

// One CPU's value of a per-CPU variable, as the value printer showed it.
struct PerCpuRow {
    int cpu = 0;
    std::uint64_t address = 0;
    std::string value;
};
std::string per_cpu_json(const std::vector<PerCpuRow>& rows);
std::string per_cpu_text(const std::vector<PerCpuRow>& rows);

// One frame named for people: function+offset, file:line, module.
struct FrameName {
    std::string function; // empty when no symbol covers the pc
    std::uint64_t offset = 0;
    std::string file;
    int line = 0;
    std::string module; // empty for vmlinux code
};
// `names` holds one name per frame of `trace`.
nlohmann::json frames_json(const kernel::Backtrace& trace, const std::vector<FrameName>& names);
std::string frames_text(const kernel::Backtrace& trace, const std::vector<FrameName>& names);
// "CPU N (pid P COMM, task T[, switching to ...]):" above a CPU's frames in `bt -a`.
std::string bt_cpu_header(int cpu, const kernel::TaskInfo& info, std::uint64_t task,
                          std::uint64_t switching_to_stack);
// The members of a `foreach bt` group: "PID (COMM), ..." and [{pid, comm, task}].
std::string task_group_text(const std::vector<kernel::TaskInfo>& tasks);
nlohmann::json task_group_json(const std::vector<kernel::TaskInfo>& tasks);

} // namespace kdive::cli
