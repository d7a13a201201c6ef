// Each formatter escapes the guest's strings where it places them: json_text inside JSON strings,
// terminal_text in columns of text.
#include "cli/kernel_output.hpp"

#include "support/guest_text.hpp"
#include "support/hex_text.hpp"

#include <algorithm>
#include <cctype>
#include <ctime>
#include <fmt/core.h>

namespace kdive::cli {

namespace {

using Json = nlohmann::json;

std::string field(std::string_view bytes) {
    return terminal_text(bytes, TerminalText::field);
}

} // namespace

Json guest_string(std::string_view bytes, bool null_if_empty) {
    if (null_if_empty && bytes.empty()) {
        return Json();
    }
    return Json(json_text(bytes));
}

std::string current_json(const std::vector<CurrentRow>& rows) {
    Json out = Json::array();
    for (const auto& row : rows) {
        out.push_back({{"cpu", row.cpu},
                       {"pid", row.task.pid},
                       {"comm", guest_string(row.task.comm)},
                       {"task", hex(row.task.task)}});
    }
    return dump_json(out);
}

std::string current_text(const std::vector<CurrentRow>& rows) {
    std::string text =
        fmt::format("{:>3} {:>7} {:<16} {:<18} {}\n", "CPU", "PID", "COMM", "TASK", "THREAD_INFO");
    for (const auto& row : rows) {
        text += fmt::format("{:>3} {:>7} {:<16} {:<18} {}\n", row.cpu, row.task.pid,
                            field(row.task.comm), hex(row.task.task),
                            row.thread_info ? hex(*row.thread_info) : std::string("-"));
    }
    return text;
}

std::string ps_json(const std::vector<kernel::TaskInfo>& tasks) {
    Json rows = Json::array();
    for (const auto& task : tasks) {
        rows.push_back({{"pid", task.pid},
                        {"tgid", task.tgid},
                        {"ppid", task.ppid},
                        {"state", guest_string(std::string(1, task.state))},
                        {"cpu", task.cpu},
                        {"comm", guest_string(task.comm)},
                        {"name", guest_string(task.name.empty() ? task.comm : task.name)},
                        {"task", hex(task.task)}});
    }
    return dump_json(rows);
}

std::string ps_text(const std::vector<kernel::TaskInfo>& tasks) {
    std::string text = fmt::format("{:>7} {:>7} {:>7} {} {:>3} {:<18} {}\n", "PID", "TGID", "PPID",
                                   "ST", "CPU", "TASK", "COMM");
    for (const auto& task : tasks) {
        text += fmt::format("{:>7} {:>7} {:>7} {:<2} {:>3} {:<18} {}{}\n", task.pid, task.tgid,
                            task.ppid, field(std::string(1, task.state)), task.cpu, hex(task.task),
                            task.pid != task.tgid ? "  " : "",
                            field(task.name.empty() ? task.comm : task.name));
    }
    return text;
}

std::string dmesg_json(const std::vector<kernel::PrintkRecord>& records) {
    Json rows = Json::array();
    for (const auto& record : records) {
        rows.push_back({{"time", static_cast<double>(record.ts_nsec) / 1e9},
                        {"level", record.level},
                        {"text", guest_string(record.text)}});
    }
    return dump_json(rows);
}

std::string dmesg_text(const std::vector<kernel::PrintkRecord>& records) {
    std::string text;
    for (const auto& record : records) {
        // A record's own newlines still start new lines, each with the record's time stamp.
        kernel::PrintkRecord shown = record;
        shown.text = terminal_text(record.text, TerminalText::lines);
        text += kernel::format_dmesg(shown);
    }
    return text;
}

std::string log_text(const std::vector<kernel::PrintkRecord>& records, bool levels,
                     std::optional<double> boot_wall_seconds) {
    std::string text;
    for (const auto& record : records) {
        std::string prefix;
        if (boot_wall_seconds) {
            const auto when = static_cast<std::time_t>(*boot_wall_seconds +
                                                       static_cast<double>(record.ts_nsec) / 1e9);
            std::tm parts{};
            char date[64] = "?";
            if (gmtime_r(&when, &parts) != nullptr) {
                (void)std::strftime(date, sizeof date, "%a %b %e %H:%M:%S UTC %Y", &parts);
            }
            prefix = fmt::format("[{}] ", date);
        } else {
            prefix = fmt::format("[{:5}.{:06}] ", record.ts_nsec / 1'000'000'000,
                                 record.ts_nsec % 1'000'000'000 / 1000);
        }
        if (levels) {
            prefix += fmt::format("<{}>", record.level);
        }
        std::string_view body = record.text;
        while (!body.empty() && body.back() == '\n') {
            body.remove_suffix(1);
        }
        const std::string shown = terminal_text(body, TerminalText::lines);
        std::string_view rest = shown;
        do {
            const auto end = rest.find('\n');
            text += prefix;
            text += rest.substr(0, end);
            text += '\n';
            rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end + 1);
        } while (!rest.empty());
    }
    return text;
}

std::string log_json(const std::vector<kernel::PrintkRecord>& records,
                     std::optional<double> boot_wall_seconds) {
    Json rows = Json::array();
    for (const auto& record : records) {
        const double time = static_cast<double>(record.ts_nsec) / 1e9;
        Json row = {{"time", time}, {"level", record.level}, {"text", guest_string(record.text)}};
        if (boot_wall_seconds) {
            row["wall_time"] = *boot_wall_seconds + time;
        }
        rows.push_back(std::move(row));
    }
    return dump_json(rows);
}

std::string lsmod_json(const std::vector<kernel::ModuleInfo>& modules) {
    Json rows = Json::array();
    for (const auto& module : modules) {
        rows.push_back({{"name", guest_string(module.name)},
                        {"base", hex(module.base)},
                        {"size", module.size},
                        {"refcount", module.refcount},
                        {"module", hex(module.module)}});
    }
    return dump_json(rows);
}

std::string lsmod_text(const std::vector<kernel::ModuleInfo>& modules) {
    std::string text =
        fmt::format("{:<18} {:<24} {:>8} {:>5}\n", "ADDRESS", "MODULE", "SIZE", "USED");
    for (const auto& module : modules) {
        text += fmt::format("{:<18} {:<24} {:>8} {:>5}\n", hex(module.base), field(module.name),
                            module.size, module.refcount);
    }
    return text;
}

std::string module_symbols_json(const std::vector<kernel::ModuleDebugInfo::SymbolFile>& files) {
    Json rows = Json::array();
    for (const auto& file : files) {
        Json sections = Json::object();
        for (const auto& [name, address] : file.sections) {
            sections[guest_string(name)] = hex(address);
        }
        rows.push_back({{"name", guest_string(file.name)},
                        {"file", file.file.string()},
                        {"sections", std::move(sections)}});
    }
    return dump_json(rows);
}

std::string module_symbols_text(const std::vector<kernel::ModuleDebugInfo::SymbolFile>& files) {
    // A guest names the sections: only plain names reach a GDB command line.
    const auto plain = [](std::string_view name) {
        return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
            return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '_';
        });
    };
    std::string text;
    for (const auto& file : files) {
        auto code = file.sections.find(".text");
        if (code == file.sections.end()) {
            continue;
        }
        text += fmt::format("add-symbol-file {} {}", file.file.string(), hex(code->second));
        for (const auto& [name, address] : file.sections) {
            if (name != ".text" && plain(name)) {
                text += fmt::format(" -s {} {}", name, hex(address));
            }
        }
        text += "\n";
    }
    return text;
}

std::string mounts_json(const std::vector<kernel::MountInfo>& mounts) {
    Json rows = Json::array();
    for (const auto& mount : mounts) {
        rows.push_back({{"device", guest_string(mount.device)},
                        {"path", guest_string(mount.path)},
                        {"type", guest_string(mount.type)},
                        {"mount", hex(mount.mount)}});
    }
    return dump_json(rows);
}

std::string mounts_text(const std::vector<kernel::MountInfo>& mounts) {
    std::string text;
    for (const auto& mount : mounts) {
        text +=
            fmt::format("{} {} {}\n", field(mount.device), field(mount.path), field(mount.type));
    }
    return text;
}

std::string cmdline_json(std::string_view line) {
    return dump_json(Json::object({{"cmdline", guest_string(line)}}));
}

std::string cmdline_text(std::string_view line) {
    return field(line);
}

std::string version_json(const kernel::KernelVersion& version, std::uint64_t kaslr_offset) {
    return dump_json(Json::object({{"running", guest_string(version.running_banner)},
                                   {"vmlinux", guest_string(version.file_banner)},
                                   {"release", guest_string(version.release)},
                                   {"matches", version.matches()},
                                   {"kaslr_offset", hex(kaslr_offset)}}));
}

std::string mismatch_text(const kernel::KernelVersion& version) {
    kernel::KernelVersion shown = version;
    shown.running_banner = field(version.running_banner);
    shown.file_banner = field(version.file_banner);
    shown.release = field(version.release);
    return kernel::mismatch_message(shown);
}

std::string version_text(const kernel::KernelVersion& version, std::uint64_t kaslr_offset,
                         std::string_view kaslr_method) {
    if (!version.matches()) {
        return mismatch_text(version);
    }
    return fmt::format("{}\nrelease {}; the vmlinux matches; KASLR offset {} (found by: {})",
                       field(version.running_banner), field(version.release), hex(kaslr_offset),
                       kaslr_method);
}

std::string kconfig_text(std::string_view config) {
    return terminal_text(config, TerminalText::lines);
}

std::string per_cpu_json(const std::vector<PerCpuRow>& rows) {
    Json out = Json::array();
    for (const auto& row : rows) {
        out.push_back(
            {{"cpu", row.cpu}, {"address", hex(row.address)}, {"value", guest_string(row.value)}});
    }
    return dump_json(out);
}

std::string per_cpu_text(const std::vector<PerCpuRow>& rows) {
    std::string text;
    for (const auto& row : rows) {
        // The value printer escapes what it prints already, as GDB does: keep its backslashes.
        text += fmt::format("CPU {} ({}): {}\n", row.cpu, hex(row.address),
                            terminal_text(row.value, TerminalText::message));
    }
    return text;
}

Json frames_json(const kernel::Backtrace& trace, const std::vector<FrameName>& names) {
    Json frames = Json::array();
    for (std::size_t i = 0; i < trace.frames.size() && i < names.size(); ++i) {
        const auto& frame = trace.frames[i];
        const FrameName& n = names[i];
        frames.push_back({{"level", frame.level},
                          {"pc", hex(frame.pc)},
                          {"function", guest_string(n.function, true)},
                          {"offset", n.function.empty() ? Json() : Json(n.offset)},
                          {"file", guest_string(n.file, true)},
                          {"line", n.file.empty() ? Json() : Json(n.line)},
                          {"module", guest_string(n.module, true)}});
    }
    return frames;
}

std::string frames_text(const kernel::Backtrace& trace, const std::vector<FrameName>& names) {
    std::string text;
    for (std::size_t i = 0; i < trace.frames.size() && i < names.size(); ++i) {
        const auto& frame = trace.frames[i];
        const FrameName& n = names[i];
        text += fmt::format("#{:<2} {:#018x} in ", frame.level, frame.pc);
        text += n.function.empty() ? std::string("??")
                                   : fmt::format("{}+{:#x}", field(n.function), n.offset);
        if (!n.file.empty()) {
            text += fmt::format(" at {}:{}", field(n.file), n.line);
        }
        if (!n.module.empty()) {
            text += fmt::format(" [{}]", field(n.module));
        }
        text += '\n';
    }
    if (!trace.stop_reason.empty()) {
        text += fmt::format("(backtrace stopped: {})\n",
                            terminal_text(trace.stop_reason, TerminalText::message));
    }
    return text;
}

std::string bt_cpu_header(int cpu, const kernel::TaskInfo& info, std::uint64_t task,
                          std::uint64_t switching_to_stack) {
    return fmt::format(
        "CPU {} (pid {} {}, task {}{}):\n", cpu, info.pid, field(info.comm), hex(task),
        switching_to_stack == 0
            ? std::string()
            : fmt::format(", switching to the task whose stack is at {}", hex(switching_to_stack)));
}

std::string task_group_text(const std::vector<kernel::TaskInfo>& tasks) {
    std::string members;
    for (std::size_t i = 0; i < tasks.size(); ++i) {
        members += fmt::format("{}{} ({})", i == 0 ? "" : ", ", tasks[i].pid, field(tasks[i].comm));
    }
    return members;
}

Json task_group_json(const std::vector<kernel::TaskInfo>& tasks) {
    Json members = Json::array();
    for (const auto& task : tasks) {
        members.push_back(
            {{"pid", task.pid}, {"comm", guest_string(task.comm)}, {"task", hex(task.task)}});
    }
    return members;
}

std::string list_json(const std::vector<ListEntry>& entries) {
    Json out = Json::array();
    for (const auto& entry : entries) {
        if (entry.members.empty()) {
            out.push_back(hex(entry.address));
            continue;
        }
        Json object = {{"address", hex(entry.address)}};
        for (const auto& [name, value] : entry.members) {
            object[name] = guest_string(value);
        }
        out.push_back(std::move(object));
    }
    return dump_json(out);
}

std::string list_text(const std::vector<ListEntry>& entries) {
    std::string out;
    for (const auto& entry : entries) {
        out += fmt::format("{:016x}\n", entry.address);
        for (const auto& [name, value] : entry.members) {
            out += fmt::format("  {} = {}\n", name, value);
        }
    }
    return out;
}

} // namespace kdive::cli
