// The crash-vocabulary formatters (kmem, files, vm, irq, ps options, sig) with hostile guest
// strings: the JSON parses strictly and gives the bytes back; the text holds no raw control
// byte and keeps one line per row.
#include "cli/kernel_output.hpp"
#include "cli/memory_output.hpp"
#include "cli/system_output.hpp"
#include "cli/task_output.hpp"
#include "hostile_strings.hpp"

namespace kdive::cli {
namespace {

kernel::TaskInfo hostile_task(const std::string& comm) {
    kernel::TaskInfo task;
    task.task = 0xffff888003a8c000ull;
    task.pid = 42;
    task.tgid = 42;
    task.comm = comm;
    return task;
}

TEST(VocabularyOutput, SlabCachesAndMemory) {
    std::vector<kernel::SlabCache> caches;
    kernel::MemoryStats stats;
    stats.total = 1 << 30;
    for (const auto& name : hostile_names()) {
        kernel::SlabCache cache;
        cache.name = name;
        cache.objects = 10;
        caches.push_back(cache);
        stats.zones.push_back({0, name, 4096, 4096, 0});
    }
    const Json rows = parse_strictly(slab_caches_json(caches));
    ASSERT_EQ(rows.size(), caches.size());
    for (std::size_t i = 0; i < caches.size(); ++i) {
        EXPECT_EQ(bytes_of(rows[i]["name"]), caches[i].name);
    }
    const std::string text = slab_caches_text(caches);
    EXPECT_FALSE(has_raw_control(text)) << text;
    EXPECT_EQ(lines(text), caches.size() + 1);
    const Json memory = parse_strictly(memory_stats_json(stats));
    EXPECT_EQ(bytes_of(memory["zones"][1]["name"]), stats.zones[1].name);
    EXPECT_FALSE(has_raw_control(memory_stats_text(stats)));
}

TEST(VocabularyOutput, FilesAndMappings) {
    std::vector<kernel::OpenFile> files;
    kernel::AddressSpace space;
    space.mm = 0xffff888004000000ull;
    for (const auto& name : hostile_names()) {
        kernel::OpenFile file;
        file.fd = static_cast<unsigned>(files.size());
        file.path = name;
        file.operations = "pipefifo_fops";
        files.push_back(file);
        kernel::Mapping mapping;
        mapping.start = 0x400000;
        mapping.end = 0x401000;
        mapping.file = 0xffff888005000000ull;
        mapping.name = name;
        space.mappings.push_back(mapping);
    }
    const Json fds = parse_strictly(open_files_json(files));
    const Json maps = parse_strictly(address_space_json(space));
    ASSERT_EQ(fds.size(), files.size());
    ASSERT_EQ(maps.size(), space.mappings.size());
    for (std::size_t i = 0; i < files.size(); ++i) {
        EXPECT_EQ(bytes_of(fds[i]["path"]), files[i].path);
        EXPECT_EQ(bytes_of(maps[i]["file"]), space.mappings[i].name);
    }
    const auto task = hostile_task(hostile_names()[1]);
    const std::string files_text = open_files_text(task, files);
    const std::string maps_text = address_space_text(task, space);
    EXPECT_FALSE(has_raw_control(files_text)) << files_text;
    EXPECT_FALSE(has_raw_control(maps_text)) << maps_text;
    EXPECT_EQ(lines(files_text), files.size() + 2);
    EXPECT_EQ(lines(maps_text), space.mappings.size() + 3);
    EXPECT_EQ(parse_strictly(rss_json(space))["rss"], 0);
}

TEST(VocabularyOutput, InterruptsTimesArgumentsAndSignals) {
    std::vector<kernel::IrqInfo> irqs;
    std::vector<TaskTimesRow> times;
    std::vector<TaskArgumentsRow> arguments;
    for (const auto& name : hostile_names()) {
        kernel::IrqInfo irq;
        irq.irq = static_cast<unsigned>(irqs.size());
        irq.chip = name;
        irq.flow = name;
        irq.actions = {name, name};
        irq.cpus = {0, 1};
        irq.counts = {1, 2};
        irqs.push_back(irq);
        times.push_back({hostile_task(name), {}});
        arguments.push_back({hostile_task(name), {{name, name}, {name}}});
    }
    const Json parsed = parse_strictly(irqs_json(irqs, {}));
    ASSERT_EQ(parsed.size(), irqs.size());
    for (std::size_t i = 0; i < irqs.size(); ++i) {
        EXPECT_EQ(bytes_of(parsed[i]["chip"]), irqs[i].chip);
        EXPECT_EQ(bytes_of(parsed[i]["actions"][1]), irqs[i].actions[1]);
    }
    const std::string irq_text = irqs_text(irqs);
    EXPECT_FALSE(has_raw_control(irq_text)) << irq_text;
    EXPECT_EQ(lines(irq_text), irqs.size() + 1);

    const Json time_rows = parse_strictly(task_times_json(times));
    const Json argument_rows = parse_strictly(task_arguments_json(arguments));
    for (std::size_t i = 0; i < times.size(); ++i) {
        EXPECT_EQ(bytes_of(time_rows[i]["comm"]), times[i].task.comm);
        EXPECT_EQ(bytes_of(argument_rows[i]["arguments"][1]), arguments[i].arguments.arguments[1]);
    }
    EXPECT_FALSE(has_raw_control(task_times_text(times)));
    const std::string argument_text = task_arguments_text(arguments);
    EXPECT_FALSE(has_raw_control(argument_text)) << argument_text;

    kernel::SignalState state;
    state.shared_pending = std::uint64_t{1} << 9;
    state.handlers.push_back({10, 0x401000, 0x4000000, 0});
    const Json signals = parse_strictly(signal_state_json(state));
    EXPECT_EQ(signals["shared_pending"], "0000000000000200");
    EXPECT_EQ(signals["shared_pending_signals"][0], "SIGUSR1");
    EXPECT_FALSE(has_raw_control(signal_state_text(hostile_task(hostile_names()[1]), state)));
}

TEST(VocabularyOutput, SignalNames) {
    EXPECT_EQ(kernel::signal_name(9), "SIGKILL");
    EXPECT_EQ(kernel::signal_name(31), "SIGSYS");
    EXPECT_EQ(kernel::signal_name(34), "SIGRTMIN+0");
    EXPECT_EQ(kernel::signal_name(64), "SIGRTMIN+30");
    EXPECT_EQ(kernel::mapping_permissions(0x1 | 0x4), "r-xp");
    EXPECT_EQ(kernel::mapping_permissions(0x2 | 0x8), "-w-s");
}

TEST(VocabularyOutput, LogWithLevelsAndDates) {
    std::vector<kernel::PrintkRecord> records;
    for (const auto& name : hostile_names()) {
        kernel::PrintkRecord record;
        record.ts_nsec = 2'500'000'000;
        record.level = 6;
        record.text = name;
        records.push_back(record);
    }
    const std::string text = log_text(records, true, 1'764'600'000.0);
    EXPECT_FALSE(has_raw_control(text)) << text;
    EXPECT_NE(text.find("[Mon Dec  1 14:40:02 UTC 2025] <6>"), std::string::npos) << text;
    const Json rows = parse_strictly(log_json(records, 1'764'600'000.0));
    ASSERT_EQ(rows.size(), records.size());
    EXPECT_DOUBLE_EQ(rows[0]["wall_time"].get<double>(), 1'764'600'002.5);
    EXPECT_EQ(bytes_of(rows[1]["text"]), records[1].text);
    EXPECT_FALSE(parse_strictly(log_json(records, std::nullopt))[0].contains("wall_time"));
}

} // namespace
} // namespace kdive::cli
