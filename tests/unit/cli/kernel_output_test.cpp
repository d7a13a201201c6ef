// Every kernel command's formatter with hostile guest strings (bytes 0x80-0xff, escape
// sequences, newlines, backslashes): the JSON parses strictly and gives the bytes back through
// json_text_bytes; the text holds no raw control byte.
#include "cli/kernel_output.hpp"
#include "hostile_strings.hpp"
#include "support/guest_text.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace kdive::cli {
namespace {

kernel::TaskInfo task_named(const std::string& comm, int pid) {
    kernel::TaskInfo task;
    task.task = 0xffff888003a8c000ull + static_cast<std::uint64_t>(pid) * 0x1000;
    task.pid = pid;
    task.tgid = pid;
    task.ppid = 1;
    task.state = 'S';
    task.comm = comm;
    return task;
}

TEST(KernelOutput, PsWithHostileNames) {
    std::vector<kernel::TaskInfo> tasks;
    for (const auto& name : hostile_names()) {
        tasks.push_back(task_named(name, static_cast<int>(tasks.size()) + 100));
    }
    const Json rows = parse_strictly(ps_json(tasks));
    ASSERT_EQ(rows.size(), tasks.size());
    for (std::size_t i = 0; i < tasks.size(); ++i) {
        EXPECT_EQ(bytes_of(rows[i]["comm"]), tasks[i].comm);
        EXPECT_EQ(rows[i]["pid"], tasks[i].pid);
    }
    const std::string text = ps_text(tasks);
    EXPECT_FALSE(has_raw_control(text)) << text;
    EXPECT_EQ(lines(text), tasks.size() + 1);
    EXPECT_NE(text.find("\\033[2Jx"), std::string::npos) << text;
    EXPECT_NE(text.find("\\377x"), std::string::npos) << text;
    EXPECT_NE(text.find("back\\\\slash"), std::string::npos) << text;
}

TEST(KernelOutput, CurrentWithHostileNames) {
    std::vector<CurrentRow> rows;
    for (const auto& name : hostile_names()) {
        rows.push_back({static_cast<int>(rows.size()), task_named(name, 7), 0x1000});
    }
    const Json parsed = parse_strictly(current_json(rows));
    ASSERT_EQ(parsed.size(), rows.size());
    for (std::size_t i = 0; i < rows.size(); ++i) {
        EXPECT_EQ(bytes_of(parsed[i]["comm"]), rows[i].task.comm);
    }
    const std::string text = current_text(rows);
    EXPECT_FALSE(has_raw_control(text)) << text;
    EXPECT_EQ(lines(text), rows.size() + 1);
}

TEST(KernelOutput, DmesgWithHostileText) {
    std::vector<kernel::PrintkRecord> records;
    for (const auto& name : hostile_names()) {
        kernel::PrintkRecord record;
        record.ts_nsec = 1'500'000'000;
        record.level = 6;
        record.text = name;
        records.push_back(record);
    }
    const Json rows = parse_strictly(dmesg_json(records));
    ASSERT_EQ(rows.size(), records.size());
    for (std::size_t i = 0; i < records.size(); ++i) {
        EXPECT_EQ(bytes_of(rows[i]["text"]), records[i].text);
    }
    const std::string text = dmesg_text(records);
    EXPECT_FALSE(has_raw_control(text)) << text;
    // A record's own newline starts a new line with the record's time stamp, as dmesg does.
    EXPECT_NE(text.find("[    1.500000] two\n[    1.500000] lines\n"), std::string::npos) << text;
    EXPECT_NE(text.find("[    1.500000] \\033[2Jx\n"), std::string::npos) << text;
}

TEST(KernelOutput, LsmodWithHostileNames) {
    std::vector<kernel::ModuleInfo> modules;
    for (const auto& name : hostile_names()) {
        kernel::ModuleInfo module;
        module.name = name;
        module.base = 0xffffffffc0000000ull;
        module.size = 4096;
        modules.push_back(module);
    }
    const Json rows = parse_strictly(lsmod_json(modules));
    for (std::size_t i = 0; i < modules.size(); ++i) {
        EXPECT_EQ(bytes_of(rows[i]["name"]), modules[i].name);
    }
    const std::string text = lsmod_text(modules);
    EXPECT_FALSE(has_raw_control(text)) << text;
    EXPECT_EQ(lines(text), modules.size() + 1);
}

// Section names come from the guest: JSON keeps them exactly, GDB's add-symbol-file line
// takes only plain ones (a space or ';' would change what GDB reads).
TEST(KernelOutput, ModuleSymbolsWithHostileSectionNames) {
    kernel::ModuleDebugInfo::SymbolFile file{"dummy", "/dbg/dummy.ko", {}};
    file.sections[".text"] = 0xffffffffc0000000ull;
    file.sections[".data"] = 0xffffffffc0002000ull;
    for (const auto& name : hostile_names()) {
        file.sections[name] = 0xffffffffc0004000ull;
    }
    const Json rows = parse_strictly(module_symbols_json({file}));
    EXPECT_EQ(rows[0]["file"], "/dbg/dummy.ko");
    EXPECT_EQ(rows[0]["sections"].size(), file.sections.size());
    const std::string text = module_symbols_text({file});
    EXPECT_EQ(lines(text), 1u) << text;
    EXPECT_TRUE(text.starts_with("add-symbol-file /dbg/dummy.ko 0xffffffffc0000000 ")) << text;
    EXPECT_NE(text.find(" -s .data 0xffffffffc0002000"), std::string::npos) << text;
    EXPECT_FALSE(has_raw_control(text)) << text;
    EXPECT_EQ(text.find(';'), std::string::npos) << text;
    // No .text, no line: GDB needs it.
    file.sections.erase(".text");
    EXPECT_EQ(module_symbols_text({file}), "");
}

TEST(KernelOutput, MountsWithHostilePathsAndDevices) {
    std::vector<kernel::MountInfo> mounts;
    for (const auto& name : hostile_names()) {
        mounts.push_back({0xffff888004000000ull, name + "dev", "/mnt/" + name, name + "fs"});
    }
    const Json rows = parse_strictly(mounts_json(mounts));
    for (std::size_t i = 0; i < mounts.size(); ++i) {
        EXPECT_EQ(bytes_of(rows[i]["device"]), mounts[i].device);
        EXPECT_EQ(bytes_of(rows[i]["path"]), mounts[i].path);
        EXPECT_EQ(bytes_of(rows[i]["type"]), mounts[i].type);
    }
    const std::string text = mounts_text(mounts);
    EXPECT_FALSE(has_raw_control(text)) << text;
    EXPECT_EQ(lines(text), mounts.size());
}

TEST(KernelOutput, CmdlineVersionAndKconfigWithHostileBytes) {
    for (const auto& name : hostile_names()) {
        EXPECT_EQ(bytes_of(parse_strictly(cmdline_json(name))["cmdline"]), name);
        EXPECT_FALSE(has_raw_control(cmdline_text(name), "")) << cmdline_text(name);

        const kernel::KernelVersion same{"Linux version " + name, "Linux version " + name, name};
        const Json version = parse_strictly(version_json(same, 0));
        EXPECT_EQ(bytes_of(version["running"]), same.running_banner);
        EXPECT_EQ(bytes_of(version["release"]), same.release);
        EXPECT_FALSE(has_raw_control(version_text(same, 0, "banner"))) << name;
        const kernel::KernelVersion other{"Linux version " + name, "Linux version 6.1", ""};
        EXPECT_FALSE(has_raw_control(version_text(other, 0, "banner"))) << name;

        const std::string config = "CONFIG_LOCALVERSION=\"" + name + "\"\nCONFIG_SMP=y\n";
        EXPECT_FALSE(has_raw_control(kconfig_text(config)));
        EXPECT_NE(kconfig_text(config).find("\nCONFIG_SMP=y\n"), std::string::npos);
    }
}

TEST(KernelOutput, PerCpuValuesKeepThePrintersEscapes) {
    // The value printer already writes "\033" as four characters; the text keeps them as they are.
    const std::vector<PerCpuRow> rows{{0, 0xffff88803ec00000ull, "\"\\033[2J\""},
                                      {1, 0xffff88803ed00000ull, "raw \033 \xff"}};
    const Json parsed = parse_strictly(per_cpu_json(rows));
    EXPECT_EQ(bytes_of(parsed[0]["value"]), rows[0].value);
    EXPECT_EQ(bytes_of(parsed[1]["value"]), rows[1].value);
    const std::string text = per_cpu_text(rows);
    EXPECT_FALSE(has_raw_control(text)) << text;
    EXPECT_NE(text.find("CPU 0 (0xffff88803ec00000): \"\\033[2J\"\n"), std::string::npos) << text;
}

TEST(KernelOutput, BacktraceFramesWithHostileModuleSymbols) {
    kernel::Backtrace trace;
    std::vector<FrameName> names;
    for (const auto& name : hostile_names()) {
        kernel::UnwoundFrame frame;
        frame.level = static_cast<int>(trace.frames.size());
        frame.pc = 0xffffffffc0001000ull;
        trace.frames.push_back(frame);
        names.push_back({name + "_fn", 0x10, "", 0, name});
    }
    trace.frames.push_back({});
    names.push_back({}); // no symbol: nulls in JSON, ?? in text
    trace.stop_reason = "bad \033 frame";
    const Json frames = frames_json(trace, names);
    const Json parsed = parse_strictly(dump_json(frames));
    for (std::size_t i = 0; i + 1 < names.size(); ++i) {
        EXPECT_EQ(bytes_of(parsed[i]["function"]), names[i].function);
        EXPECT_EQ(bytes_of(parsed[i]["module"]), names[i].module);
        EXPECT_TRUE(parsed[i]["file"].is_null());
    }
    EXPECT_TRUE(parsed.back()["function"].is_null());
    EXPECT_TRUE(parsed.back()["module"].is_null());
    const std::string text = frames_text(trace, names);
    EXPECT_FALSE(has_raw_control(text)) << text;
    EXPECT_EQ(lines(text), trace.frames.size() + 1); // and "(backtrace stopped: ...)"
    EXPECT_NE(text.find("(backtrace stopped: bad \\033 frame)"), std::string::npos) << text;
}

TEST(KernelOutput, BtAllHeadersAndForeachGroupsWithHostileNames) {
    std::vector<kernel::TaskInfo> tasks;
    for (const auto& name : hostile_names()) {
        tasks.push_back(task_named(name, static_cast<int>(tasks.size()) + 1));
        const std::string header = bt_cpu_header(0, tasks.back(), tasks.back().task, 0x1000);
        EXPECT_FALSE(has_raw_control(header)) << header;
        EXPECT_EQ(lines(header), 1U) << header;
    }
    const std::string members = task_group_text(tasks);
    EXPECT_FALSE(has_raw_control(members, "")) << members;
    const Json parsed = parse_strictly(dump_json(task_group_json(tasks)));
    for (std::size_t i = 0; i < tasks.size(); ++i) {
        EXPECT_EQ(bytes_of(parsed[i]["comm"]), tasks[i].comm);
    }
}

} // namespace
} // namespace kdive::cli
