// A guest that names its tasks, log lines and mounts with invalid UTF-8, escape sequences,
// newlines and backslashes: every kernel command, as text and as --json, through the real
// `kdive attach SESSION --batch`. The JSON parses strictly and gives the guest's bytes back, the
// text holds no raw control byte, kdive exits 0, and the guest runs on afterwards. The guest
// runs without modules first; the last test has it load one and runs every command again.
#include "lab/boot_kernel.hpp"
#include "lab/console_log.hpp"
#include "prerequisite.hpp"
#include "support/atomic_file.hpp"
#include "support/guest_text.hpp"
#include "support/subprocess.hpp"
#include "test_vm.hpp"

#include <fstream>
#include <gtest/gtest.h>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>

namespace kdive::testing {
namespace {

using Json = nlohmann::json;

// Task names as printf formats, and the bytes the guest's printf makes of them.
struct HostileName {
    std::string format;
    std::string bytes;
};

// Every byte from 0x80 to 0xff lands in some task's name (15 bytes each, TASK_COMM_LEN - 1).
std::vector<HostileName> hostile_names() {
    std::vector<HostileName> names{
        {R"(\377\033[2Jx1)", "\xff\033[2Jx1"},
        {R"(nl\nx\\y\200z)", "nl\nx\\y\x80z"},
        {R"(\302\23331m\303\251)", "\xc2\x9b"
                                   "31m\xc3\xa9"},
    };
    for (int first = 0x80; first <= 0xff; first += 15) {
        HostileName name;
        for (int b = first; b < first + 15 && b <= 0xff; ++b) {
            name.format += fmt::format("\\{:03o}", b);
            name.bytes += static_cast<char>(b);
        }
        names.push_back(name);
    }
    return names;
}

// Log lines written to /dev/kmsg (one write each), as printf formats and as the bytes kept.
const std::vector<HostileName>& hostile_log_lines() {
    static const std::vector<HostileName> lines{
        {R"(\377\n)", "\xff"},
        {R"(kdive-hostile \033[2J \377\376 back\\slash\n)",
         "kdive-hostile \033[2J \377\376 back\\slash"},
        {R"(kdive-c1 \302\23331m caf\303\251\n)", "kdive-c1 \xc2\x9b"
                                                  "31m caf\xc3\xa9"},
    };
    return lines;
}

const std::string mount_device_format = R"(dev\377\033[2J\\x)";
const std::string mount_device_bytes = "dev\xff\033[2J\\x";

std::string init_script() {
    std::string script = R"script(#!/bin/sh
# printf is ash's builtin, so /proc/self/comm is the shell's own: each shell keeps the name.
hostile() { sh -c 'printf "$1" > /proc/self/comm; while :; do sleep 1000; done' hostile "$1" & }
# The start-up loaded the dummy module: without it until the test asks for it (below).
rmmod dummy
)script";
    for (const auto& name : hostile_names()) {
        script += "hostile '" + name.format + "'\n";
    }
    for (const auto& line : hostile_log_lines()) {
        script += "printf '" + line.format + "' > /dev/kmsg\n";
    }
    script += "dir=\"/tmp/$(printf '\\377\\033[2Jmnt')\"\n";
    script += "mkdir -p \"$dir\" && mount -t tmpfs \"$(printf '" + mount_device_format +
              "')\" \"$dir\"\n";
    // A heartbeat on the console: it goes on only while the guest runs.
    script += "(n=0; while :; do n=$((n+1)); echo \"kdive-tick $n.\"; sleep 1; done) &\n";
    script += "sleep 1\necho KDIVE-HOSTILE-READY\n";
    // The module goes back in once the test writes an M over the domain name's first byte
    // (with kdive's set var): the guest cannot be told otherwise, and the name is harmless.
    script += "(while :; do case \"$(cat /proc/sys/kernel/domainname)\" in M*) break;; esac; "
              "sleep 1; done; insmod /lib/modules/dummy.ko && echo KDIVE-HOSTILE-MODULES) &\n";
    return script;
}

// A leaf module by file name (.ko or .ko.xz), so lsmod has something to list.
std::filesystem::path find_module(const std::filesystem::path& kernel_dir, std::string_view stem) {
    std::error_code ec;
    for (std::filesystem::recursive_directory_iterator it(kernel_dir / "modules", ec), end;
         !ec && it != end; it.increment(ec)) {
        if (it->path().filename().string().starts_with(std::string(stem) + ".ko")) {
            return it->path();
        }
    }
    return {};
}

std::string read_text(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

// The first control byte other than newline and tab, with its position, or "".
std::string raw_control(std::string_view text) {
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto b = static_cast<unsigned char>(text[i]);
        if ((b < 0x20 && b != '\n' && b != '\t') || b == 0x7f) {
            const std::size_t from = i < 60 ? 0 : i - 60;
            return fmt::format("byte {:#04x} at {}: ...{}", b, i,
                               terminal_text(text.substr(from, 120)));
        }
    }
    return {};
}

// What `kdive attach --batch` printed for each -ex, split at its "(kdive) COMMAND" echoes.
std::map<std::string, std::string> outputs_by_command(const std::string& out) {
    std::map<std::string, std::string> by_command;
    std::string* current = nullptr;
    std::istringstream in(out);
    std::string line;
    while (std::getline(in, line)) {
        if (line.starts_with("(kdive) ")) {
            current = &by_command[line.substr(8)];
            continue;
        }
        if (current != nullptr) {
            *current += line + "\n";
        }
    }
    return by_command;
}

// The highest heartbeat number on the console so far.
int last_tick(const std::string& console) {
    static const std::regex tick(R"(kdive-tick ([0-9]+)\.)");
    int last = 0;
    for (std::sregex_iterator it(console.begin(), console.end(), tick), end; it != end; ++it) {
        last = std::max(last, std::stoi((*it)[1].str()));
    }
    return last;
}

std::string bytes_of(const Json& value) {
    auto bytes = json_text_bytes(value.get<std::string>());
    EXPECT_TRUE(bytes) << value.dump();
    return bytes.value_or(std::string());
}

const std::vector<std::string> commands = {
    "current",        "ps",   "dmesg",  "lsmod",  "cmdline",
    "version",        "cpus", "mounts", "uptime", "per-cpu runqueues.nr_running",
    "vtop init_task", "bt",   "bt -a",  "bt 1",   "foreach bt"};

class HostileGuest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        vm_ = nullptr;
        auto kernel = lab::resolve_boot_kernel(test_kernel());
        if (!kernel) {
            missing_ = kernel.error().message;
            return;
        }
        work_ = new TempDir("hostile-guest");
        const auto script = work_->path() / "hostile.sh";
        const auto rootfs = work_->path() / "rootfs.cpio.gz";
        if (auto ok = write_file_atomically(script, init_script()); !ok) {
            error_ = ok.error().message;
            return;
        }
        std::vector<std::string> args{"rootfs", "-o", rootfs.string(), "--init-script",
                                      script.string()};
        const auto module = find_module(kernel->vmlinux.parent_path(), "dummy");
        if (module.empty()) {
            missing_ = "no dummy module beside " + kernel->vmlinux.string();
            return;
        }
        args.insert(args.end(), {"--module", module.string()});
        if (auto built = run_kdive(args); !built) {
            error_ = built.error().message;
            return;
        }
        auto booted = TestVm::boot(test_kernel(), {"--smp", "2", "--initrd", rootfs.string()});
        if (!booted) {
            error_ = booted.error().message;
            return;
        }
        vm_ = new TestVm(std::move(*booted));
        if (auto ok = vm_->wait_for("KDIVE-HOSTILE-READY"); !ok) {
            error_ = ok.error().message;
        }
    }
    static void TearDownTestSuite() {
        if (vm_ != nullptr) {
            (void)vm_->stop();
        }
        delete vm_;
        delete work_;
        vm_ = nullptr;
        work_ = nullptr;
    }
    void SetUp() override {
        if (!missing_.empty()) {
            KDIVE_MISSING_PREREQUISITE() << missing_;
        }
        ASSERT_TRUE(error_.empty()) << error_;
    }

    // Runs every command with `suffix` in one batch (a breakpoint inserted first, so the
    // detach at the end has something to remove); checks the exit code and that the guest
    // runs on afterwards; returns each command's output.
    static std::map<std::string, std::string> run_batch(const std::string& suffix,
                                                        std::string& all_output) {
        std::vector<std::string> argv{
            KDIVE_BINARY, "attach", vm_->session().dir.string(), "--batch",
            "--echo",     "-ex",    "break hrtimer_nanosleep"};
        for (const auto& command : commands) {
            argv.insert(argv.end(), {"-ex", command + suffix});
        }
        RunOptions options;
        options.timeout = std::chrono::minutes(10);
        auto run = run_process(argv, options);
        EXPECT_TRUE(run) << (run ? "" : run.error().message);
        if (!run) {
            return {};
        }
        all_output = run->out + run->err;
        EXPECT_EQ(run->exit_code, 0) << terminal_text(run->err, TerminalText::message);
        EXPECT_EQ(raw_control(run->out), "") << "stdout";
        EXPECT_EQ(raw_control(run->err), "") << "stderr";
        // The one status line of a batch, on stderr.
        EXPECT_EQ(run->err, "Detached; the guest is running.\n")
            << terminal_text(run->err, TerminalText::message);
        expect_guest_runs();
        return outputs_by_command(run->out);
    }

    // The heartbeat goes on: kdive detached, and no breakpoint of its own stops the guest.
    static void expect_guest_runs() {
        const int seen = last_tick(read_text(vm_->session().console_log));
        EXPECT_TRUE(vm_->wait_for(fmt::format("kdive-tick {}.", seen + 2)))
            << "the guest did not run on after kdive exited (last tick " << seen << ")";
    }

    static void expect_json_keeps_the_bytes(bool module_loaded);
    static void expect_text_escapes_the_bytes();

    static TestVm* vm_;
    static TempDir* work_;
    static std::string missing_;
    static std::string error_;
};

TestVm* HostileGuest::vm_ = nullptr;
TempDir* HostileGuest::work_ = nullptr;
std::string HostileGuest::missing_;
std::string HostileGuest::error_;

// Every kernel command with --json: strict JSON, the guest's bytes back; lsmod lists the dummy
// module exactly when `module_loaded`.
void HostileGuest::expect_json_keeps_the_bytes(bool module_loaded) {
    std::string all;
    auto outputs = run_batch(" --json", all);
    std::map<std::string, Json> parsed;
    for (const auto& command : commands) {
        const std::string key = command + " --json";
        ASSERT_TRUE(outputs.contains(key)) << key << " is missing from: " << terminal_text(all);
        try {
            parsed[command] = Json::parse(outputs[key]); // strict: throws on invalid UTF-8
        } catch (const std::exception& e) {
            ADD_FAILURE() << key << ": " << e.what() << ": " << terminal_text(outputs[key]);
        }
    }
    // Every hostile name is among the tasks, byte for byte.
    std::set<std::string> comms;
    for (const auto& task : parsed["ps"]) {
        comms.insert(bytes_of(task["comm"]));
    }
    for (const auto& name : hostile_names()) {
        EXPECT_TRUE(comms.contains(name.bytes)) << "no task named " << terminal_text(name.bytes);
    }
    std::set<std::string> texts;
    for (const auto& record : parsed["dmesg"]) {
        texts.insert(bytes_of(record["text"]));
    }
    for (const auto& line : hostile_log_lines()) {
        EXPECT_TRUE(texts.contains(line.bytes)) << "no log line " << terminal_text(line.bytes);
    }
    bool mounted = false;
    for (const auto& mount : parsed["mounts"]) {
        mounted = mounted || bytes_of(mount["device"]) == mount_device_bytes;
    }
    EXPECT_TRUE(mounted) << parsed["mounts"].dump();
    // foreach bt lists the hostile tasks too.
    std::set<std::string> grouped;
    for (const auto& group : parsed["foreach bt"]) {
        for (const auto& task : group["tasks"]) {
            grouped.insert(bytes_of(task["comm"]));
        }
    }
    EXPECT_TRUE(grouped.contains(hostile_names().front().bytes));
    std::vector<std::string> modules;
    for (const auto& module : parsed["lsmod"]) {
        modules.push_back(bytes_of(module["name"]));
    }
    EXPECT_EQ(modules,
              module_loaded ? std::vector<std::string>{"dummy"} : std::vector<std::string>{})
        << parsed["lsmod"].dump();
}

void HostileGuest::expect_text_escapes_the_bytes() {
    std::string all;
    auto outputs = run_batch("", all);
    for (const auto& command : commands) {
        EXPECT_TRUE(outputs.contains(command)) << command << " is missing";
    }
    // GDB's escapes: octal for ESC and invalid bytes, \n, \\ for a backslash.
    EXPECT_NE(outputs["ps"].find("\\377\\033[2Jx1"), std::string::npos) << outputs["ps"];
    EXPECT_NE(outputs["ps"].find("nl\\nx\\\\y\\200z"), std::string::npos) << outputs["ps"];
    // A log line keeps its backslash single, as dmesg prints ACPI's "\\_SB_".
    EXPECT_NE(outputs["dmesg"].find("kdive-hostile \\033[2J \\377\\376 back\\slash"),
              std::string::npos);
    EXPECT_NE(outputs["mounts"].find("dev\\377\\033[2J\\\\x"), std::string::npos)
        << outputs["mounts"];
    EXPECT_NE(outputs["foreach bt"].find("(\\377\\033[2Jx1)"), std::string::npos);
}

TEST_F(HostileGuest, JsonOfEveryKernelCommandParsesStrictlyAndKeepsTheBytes) {
    expect_json_keeps_the_bytes(false);
}

TEST_F(HostileGuest, TextOfEveryKernelCommandEscapesTheGuestsBytes) {
    expect_text_escapes_the_bytes();
}

TEST_F(HostileGuest, ExpressionsOnAHostileTaskNameStayEscaped) {
    // A task's comm printed as a char array by the expression evaluator, through the REPL's
    // -ex path: the value printer's escapes, nothing raw.
    // A batch's stdout is its answers only: one JSON document per --json command, a line each.
    auto ps = run_kdive({"attach", vm_->session().dir.string(), "--batch", "-ex", "ps --json",
                         "-ex", "cpus --json"});
    ASSERT_TRUE(ps) << ps.error().message;
    const auto first_end = ps->find('\n');
    ASSERT_NE(first_end, std::string::npos) << terminal_text(*ps);
    EXPECT_EQ(ps->find('\n', first_end + 1), ps->size() - 1) << terminal_text(*ps);
    EXPECT_TRUE(Json::accept(ps->substr(first_end + 1))) << terminal_text(*ps);
    ASSERT_TRUE(Json::accept(ps->substr(0, first_end))) << terminal_text(*ps);
    const Json tasks = Json::parse(ps->substr(0, first_end));
    std::string task;
    for (const auto& row : tasks) {
        if (bytes_of(row["comm"]) == hostile_names().front().bytes) {
            task = row["task"].get<std::string>();
        }
    }
    ASSERT_FALSE(task.empty());
    RunOptions options;
    options.timeout = std::chrono::minutes(5);
    auto run = run_process({KDIVE_BINARY, "attach", vm_->session().dir.string(), "--batch", "-ex",
                            "p ((struct task_struct *)" + task + ")->comm"},
                           options);
    ASSERT_TRUE(run) << run.error().message;
    EXPECT_EQ(run->exit_code, 0) << terminal_text(run->err, TerminalText::message);
    EXPECT_EQ(raw_control(run->out + run->err), "");
    EXPECT_NE(run->out.find("\\377\\033[2Jx1"), std::string::npos) << terminal_text(run->out);
    expect_guest_runs();
}

TEST_F(HostileGuest, EveryKernelCommandAgainOnceAModuleIsLoaded) {
    auto flip = run_kdive({"attach", vm_->session().dir.string(), "--batch", "-ex",
                           "set var init_uts_ns.name.domainname[0] = 'M'"});
    ASSERT_TRUE(flip) << flip.error().message;
    ASSERT_TRUE(vm_->wait_for("KDIVE-HOSTILE-MODULES"));
    expect_json_keeps_the_bytes(true);
    expect_text_escapes_the_bytes();
}

} // namespace
} // namespace kdive::testing
