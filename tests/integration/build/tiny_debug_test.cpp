// Debugging the recipe's own kernels: the tiny build with ORC, the same build with
// CONFIG_UNWINDER_FRAME_POINTER, whose vmlinux has no ORC tables (kdive falls back to frame
// pointers), and the tiny build cross-built for arm64 (frame records). bt at start_kernel and
// source-level stepping from there against GDB; at the guest's first openat() the syscall's trace,
// and every task's stack.
#include "backtrace_checks.hpp"
#include "build_support.hpp"
#include "debuginfo/elf_file.hpp"
#include "lab/rootfs_builder.hpp"
#include "stepping_checks.hpp"
#include "support/subprocess.hpp"
#include "test_vm.hpp"
#include "vmcore_checks.hpp"

#include <gtest/gtest.h>
#include <map>
#include <string>
#include <vector>

namespace kdive::testing {
namespace {

struct Variant {
    const char* name;
    std::vector<std::string> sets;
    std::string arch = "amd64"; // arm64: cross-built, booted under qemu-system-aarch64

    bool arm64() const { return arch == "arm64"; }
    // The image QEMU boots, under the build folder.
    std::string image() const {
        return arm64() ? "/arch/arm64/boot/Image" : "/arch/x86/boot/bzImage";
    }
};

class TinyDebug : public ::testing::TestWithParam<Variant> {
protected:
    // `kdive up` arguments that boot this variant's build.
    std::vector<std::string> up_args() {
        auto tree = debian_61_source();
        if (!tree) {
            ADD_FAILURE() << tree.error().message;
            return {};
        }
        auto out = tiny_build(*tree, GetParam().sets, GetParam().arch);
        if (!out) {
            ADD_FAILURE() << out.error().message;
            return {};
        }
        return {"--tree", *tree, "--out", out->string()};
    }
};

// Builds (or finds) the variant: the fixture the other tests of the variant need.
TEST_P(TinyDebug, Builds) {
    auto args = up_args();
    ASSERT_FALSE(args.empty());
    // The variant is what it claims: ORC tables only in the x86-64 ORC build, arm64's machine in
    // the arm64 one.
    auto elf = debuginfo::ElfFile::open(std::filesystem::path(args[3]) / "vmlinux");
    ASSERT_TRUE(elf) << elf.error().message;
    EXPECT_EQ((*elf)->find_section(".orc_unwind_ip") != nullptr,
              GetParam().sets.empty() && !GetParam().arm64());
    EXPECT_TRUE(std::filesystem::exists(args[3] + GetParam().image())) << args[3];
}

TEST_P(TinyDebug, StartKernelAgreesWithGdb) {
    auto args = up_args();
    ASSERT_FALSE(args.empty());
    expect_start_kernel_bt_matches_gdb(args);
}

TEST_P(TinyDebug, SteppingAgreesWithGdb) {
    auto args = up_args();
    ASSERT_FALSE(args.empty());
    expect_stepping_matches_gdb(args[3] + GetParam().image(), GetParam().arm64());
}

TEST_P(TinyDebug, StacksAtTheFirstOpenat) {
    auto args = up_args();
    ASSERT_FALSE(args.empty());
    std::vector<std::string> up{KDIVE_BINARY, "up"};
    up.insert(up.end(), args.begin(), args.end());
    // The openat syscall's wrapper is only ever called through the syscall table: never inlined
    // away. Its stack ends at the entry from user mode.
    const bool arm64 = GetParam().arm64();
    const std::string openat = arm64 ? "__arm64_sys_openat" : "__x64_sys_openat";
    const std::string entry = arm64 ? "el0t_64_sync" : "entry_SYSCALL_64";
    up.insert(up.end(), {"--smp", "2", "--batch", "--break", openat, "-ex", "bt --json", "-ex",
                         "ps --json", "-ex", "foreach bt --json"});
    RunOptions options;
    options.timeout = std::chrono::minutes(5);
    auto run = run_process(up, options);
    ASSERT_TRUE(run) << run.error().message;
    ASSERT_EQ(run->exit_code, 0) << run->out << run->err;

    // The syscall, from the breakpoint down to the entry code.
    const Json trace = json_line(run->out);
    ASSERT_TRUE(trace.is_object()) << run->out << run->err;
    const auto names = functions(trace["frames"]);
    ASSERT_GE(names.size(), 2u) << trace.dump();
    EXPECT_EQ(names.front(), openat);
    EXPECT_TRUE(names.back().starts_with(entry)) << describe(trace["frames"]);
    EXPECT_TRUE(trace["stop_reason"].is_null()) << trace.dump();

    // Every task: kernel threads end at ret_from_fork, idle tasks are in the idle loop.
    const Json ps = json_line(run->out, R"([{"comm")");
    ASSERT_TRUE(ps.is_array()) << run->out;
    std::map<int, int> parent;
    for (const auto& task : ps) {
        parent[task["pid"].get<int>()] = task["ppid"].get<int>();
    }
    const Json groups = json_line(run->out, R"([{"count")");
    ASSERT_TRUE(groups.is_array()) << run->out;
    int kernel_threads = 0;
    int idle = 0;
    for (const auto& group : groups) {
        const auto frames = functions(group["frames"]);
        const std::string shape = describe(group["frames"]);
        for (const auto& member : group["tasks"]) {
            const int pid = member["pid"].get<int>();
            const std::string comm = member["comm"].get<std::string>();
            if (comm.starts_with("swapper/")) {
                ++idle;
                EXPECT_TRUE(has(frames, {"do_idle", "default_idle", "cpu_startup_entry",
                                         "cpu_do_idle", "default_idle_call"}))
                    << comm << ": " << shape << " " << group["stop_reason"];
                continue;
            }
            if (pid != 2 && parent[pid] != 2) {
                continue;
            }
            ++kernel_threads;
            ASSERT_FALSE(frames.empty()) << comm << ": " << group["stop_reason"];
            EXPECT_TRUE(frames.back().starts_with("ret_from_fork"))
                << comm << " (" << pid << "): " << shape << " " << group["stop_reason"];
            EXPECT_TRUE(group["stop_reason"].is_null()) << comm << ": " << shape;
        }
    }
    EXPECT_GE(idle, 1); // the other CPU's idle task (the breakpoint's CPU runs the opener)
    EXPECT_GT(kernel_threads, 3);
}

// The recipe's kernel dumped: no qemu_fw_cfg, so no VMCOREINFO; the kernel is found by its
// banner, its page tables through a vCPU's CR3. The dumps answer as the live stub did. An arm64
// dump without VMCOREINFO is refused, saying why.
TEST_P(TinyDebug, DumpsAnswerAsLive) {
    auto args = up_args();
    ASSERT_FALSE(args.empty());
    const std::string bzimage = args[3] + GetParam().image();
    auto vm = TestVm::boot(bzimage, {"--smp", "2", "--mem", "256"});
    ASSERT_TRUE(vm) << vm.error().message;
    ASSERT_TRUE(vm->wait_for(lab::rootfs_ready_marker));
    const auto& session = vm->session();
    ASSERT_TRUE(pause_guest(session));
    TempDir work("tiny-vmcore");
    std::vector<std::filesystem::path> dumps;
    for (const std::string format : {"elf", "kdump-zlib"}) {
        auto file = dump(session, work.path(), format);
        ASSERT_TRUE(file) << file.error().message;
        dumps.push_back(*file);
    }
    auto stub = answers(session.dir.string(), {"--memory", "stub"}, core_questions);
    ASSERT_TRUE(stub) << stub.error().message;
    for (const auto& file : dumps) {
        auto from_dump =
            answers(file.string(), {"--vmlinux", args[3] + "/vmlinux"}, core_questions);
        if (GetParam().arm64()) {
            // QEMU's arm64 dumps hold general registers only: without VMCOREINFO (the tiny
            // build has no qemu_fw_cfg) the kernel's tables cannot be found, and kdive says so.
            ASSERT_FALSE(from_dump) << file.filename().string();
            EXPECT_NE(from_dump.error().message.find("VMCOREINFO"), std::string::npos)
                << from_dump.error().message;
            continue;
        }
        ASSERT_TRUE(from_dump) << from_dump.error().message;
        EXPECT_EQ(first_difference(*from_dump, *stub, core_questions), "")
            << file.filename().string();
    }
}

INSTANTIATE_TEST_SUITE_P(
    Variants, TinyDebug,
    ::testing::Values(Variant{"orc", {}},
                      Variant{"frame_pointer", {"CONFIG_UNWINDER_FRAME_POINTER=y"}},
                      Variant{"arm64", {}, "arm64"}),
    [](const ::testing::TestParamInfo<Variant>& param) { return std::string(param.param.name); });

} // namespace
} // namespace kdive::testing
