// bt on real kernels: at start_kernel frame by frame against GDB's bt; at a syscall breakpoint
// hit from the guest down to the syscall entry (entry_SYSCALL_64, arm64's el0t_64_sync);
// foreach bt over sleeping processes, idle tasks and kernel threads (one guest boot per kernel).
#include "backtrace_checks.hpp"
#include "cli/kernel_commands.hpp"
#include "gdb_reference.hpp"
#include "lab/boot_kernel.hpp"
#include "lab/console_log.hpp"
#include "prerequisite.hpp"
#include "rsp/endpoint.hpp"
#include "support/atomic_file.hpp"
#include "support/subprocess.hpp"
#include "target/rsp_target.hpp"
#include "test_vm.hpp"

#include <array>
#include <cstring>
#include <filesystem>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

namespace kdive::testing {
namespace {

using namespace std::chrono_literals;

// Where the same kernel paths are named differently on the two architectures.
struct EntryNames {
    std::string_view syscall_dispatch; // the C function every syscall passes through
    std::string_view syscall_entry;    // the stack's last frame for a syscall from user mode
    std::string_view timer_entry;      // the timer interrupt's entry, on the interrupted stack
    std::string_view sleep_syscall;    // prefix of the nanosleep syscalls' wrappers
};

bool arm64_kernel() {
    return test_kernel().ends_with("-arm64");
}

const EntryNames& entry_names() {
    static const EntryNames x86{"do_syscall_64", "entry_SYSCALL_64",
                                "asm_sysvec_apic_timer_interrupt", "__x64_sys_"};
    // el0t_64_sync's handler calls el0_svc, which reaches invoke_syscall; a timer interrupt
    // taken in the kernel enters at el1h_64_irq (from user mode at el0t_64_irq).
    static const EntryNames arm64{"invoke_syscall", "el0t_64_sync", "el1h_64_irq", "__arm64_sys_"};
    return arm64_kernel() ? arm64 : x86;
}

TEST(UnwindStartKernel, AgreesWithGdbFrameByFrame) {
    expect_start_kernel_bt_matches_gdb({"--kernel", test_kernel()});
}

std::string guest_script() {
    // Marker sleeps (given a second to exec), then a reader that opens a file every second
    // for the syscall breakpoint and a loop that makes the dummy module set up a link.
    return R"script(#!/bin/sh
for i in 1 2 3 4; do sleep 1000 & done
sleep 1
(while true; do cat /proc/version > /dev/null; sleep 1; done) &
(while true; do ip link add kd0 type dummy; ip link del kd0; sleep 1; done) > /dev/null 2>&1 &
echo KDIVE-UNWIND-READY
)script";
}

class UnwindGuest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        state_ = new State;
        state_->start();
    }
    static void TearDownTestSuite() {
        delete state_;
        state_ = nullptr;
    }
    void SetUp() override {
        ASSERT_TRUE(state_->error.empty()) << state_->error;
        // A test that failed halfway may have left the guest running.
        if (state_->target->running()) {
            ASSERT_TRUE(state_->target->interrupt());
            auto stop = state_->target->wait_for_stop(30s);
            ASSERT_TRUE(stop && *stop);
        }
    }

    struct State {
        std::unique_ptr<TempDir> work;
        std::optional<TestVm> vm;
        std::unique_ptr<target::RspTarget> target;
        std::unique_ptr<debuginfo::DebugInfo> info;
        std::unique_ptr<cli::KernelCommands> commands;
        std::string error;

        void start() {
            work = std::make_unique<TempDir>("unwind");
            const auto script = work->path() / "unwind.sh";
            const auto rootfs = work->path() / "rootfs.cpio.gz";
            if (auto ok = write_file_atomically(script, guest_script()); !ok) {
                error = ok.error().message;
                return;
            }
            std::vector<std::string> args{"rootfs", "-o", rootfs.string(), "--init-script",
                                          script.string()};
            // dummy's setup code runs whenever the guest adds a dummy link: module frames.
            if (auto kernel = lab::resolve_boot_kernel(test_kernel())) {
                const auto modules = kernel->vmlinux.parent_path() / "modules";
                std::error_code ec;
                for (auto it = std::filesystem::recursive_directory_iterator(modules, ec);
                     !ec && it != std::filesystem::recursive_directory_iterator(); ++it) {
                    if (it->path().filename().string().starts_with("dummy.ko")) {
                        args.insert(args.end(), {"--module", it->path().string()});
                        break;
                    }
                }
            }
            if (auto built = run_kdive(args); !built) {
                error = built.error().message;
                return;
            }
            auto booted = TestVm::boot(test_kernel(), {"--smp", "2", "--initrd", rootfs.string()});
            if (!booted) {
                error = booted.error().message;
                return;
            }
            vm.emplace(std::move(*booted));
            if (auto ok = vm->wait_for("KDIVE-UNWIND-READY"); !ok) {
                error = ok.error().message;
                return;
            }
            (void)vm->wait_for(lab::shell_banner, std::chrono::seconds(60));
            auto opened = debuginfo::DebugInfo::open(vm->session().vmlinux);
            if (!opened) {
                error = opened.error().message;
                return;
            }
            info = std::move(*opened);
            if (auto ok = attach(); !ok) {
                error = ok.error().message;
            }
        }
        // kdive's target and commands on the stub (again, after another debugger had it).
        Result<> attach() {
            auto endpoint = rsp::Endpoint::parse(vm->session().gdb);
            auto attached = target::RspTarget::attach(*endpoint);
            if (!attached) {
                return std::unexpected(attached.error());
            }
            target = std::move(*attached);
            commands = std::make_unique<cli::KernelCommands>(*info, *target);
            return {};
        }
        // Lends the stub to another debugger: kdive detaches and the guest runs.
        void release() {
            commands.reset();
            target.reset();
        }
        ~State() {
            commands.reset();
            target.reset();
            if (vm) {
                (void)vm->stop();
            }
        }
        Json json(const std::string& line) {
            auto out = commands->run(line);
            EXPECT_TRUE(out && *out)
                << line << ": " << (out && !*out ? out->error().message : "not a command");
            if (!out || !*out) {
                return Json();
            }
            auto parsed = Json::parse(**out, nullptr, false);
            EXPECT_FALSE(parsed.is_discarded()) << line << ": " << **out;
            return parsed;
        }
        // Lets the guest run into a hardware breakpoint on `function` (removed again) and
        // returns `bt --json` there; `what` says what should have made the guest call it.
        Result<Json> trace_at(std::string_view function, std::string_view what) {
            auto kernel = commands->kernel();
            if (!kernel) {
                return std::unexpected(kernel.error());
            }
            auto address = (*kernel)->address_of(function);
            if (!address) {
                return std::unexpected(address.error());
            }
            const target::Breakpoint breakpoint{target::BreakpointKind::hardware, *address, 1};
            if (auto ok = target->insert_breakpoint(breakpoint); !ok) {
                return std::unexpected(ok.error());
            }
            if (auto ok = target->resume(); !ok) {
                return std::unexpected(ok.error());
            }
            auto stop = target->wait_for_stop(120s);
            (void)target->remove_breakpoint(breakpoint);
            if (!stop || !*stop) {
                return fail("{} never stopped at {}", what, function);
            }
            Json trace = json("bt --json");
            if (!trace.is_object()) {
                return fail("bt --json at {} is not an object: {}", function, trace.dump());
            }
            return trace;
        }
    };
    static State* state_;
};

UnwindGuest::State* UnwindGuest::state_ = nullptr;

TEST_F(UnwindGuest, SyscallBreakpointUnwindsToTheSyscallEntry) {
    auto traced = state_->trace_at("do_sys_openat2", "the guest opening a file");
    ASSERT_TRUE(traced) << traced.error().message;
    const Json& trace = *traced;
    const auto names = functions(trace["frames"]);
    ASSERT_GE(names.size(), 3u) << trace.dump();
    EXPECT_EQ(names.front(), "do_sys_openat2");
    EXPECT_TRUE(has(names, {entry_names().syscall_dispatch})) << describe(trace["frames"]);
    EXPECT_TRUE(names.back().starts_with(entry_names().syscall_entry)) << describe(trace["frames"]);
    EXPECT_TRUE(trace["stop_reason"].is_null()) << trace.dump();
    for (const auto& frame : trace["frames"]) {
        EXPECT_TRUE(frame["pc"].get<std::string>().starts_with("0xffff"));
    }
    EXPECT_TRUE(trace["frames"][0]["file"].get<std::string>().ends_with("fs/open.c"));
}

// On x86-64 past the module frame only the module's own ORC table leads; arm64's frame records
// lead through it alike.
TEST_F(UnwindGuest, ModuleFramesAreNamedAndUnwoundThrough) {
    auto traced = state_->trace_at("ether_setup", "the guest adding a dummy link");
    ASSERT_TRUE(traced) << traced.error().message;
    const Json& trace = *traced;
    const Json& frames = trace["frames"];
    std::size_t in_module = frames.size();
    for (std::size_t i = 0; i < frames.size(); ++i) {
        if (frames[i]["module"] == "dummy") {
            in_module = i;
            break;
        }
    }
    ASSERT_LT(in_module, frames.size()) << trace.dump();
    EXPECT_EQ(frames[in_module]["function"], "dummy_setup") << trace.dump();
    // file:line from the module's debug file (modules-dbg/).
    EXPECT_EQ(frames[in_module]["file"], "drivers/net/dummy.c") << trace.dump();
    const auto names = functions(frames);
    EXPECT_TRUE(names.back().starts_with(entry_names().syscall_entry)) << describe(frames);
    EXPECT_TRUE(trace["stop_reason"].is_null()) << trace.dump();
    auto text = state_->commands->run("bt");
    ASSERT_TRUE(text && *text);
    EXPECT_NE((*text)->find(" [dummy]\n"), std::string::npos) << **text;
}

TEST_F(UnwindGuest, TimerInterruptUnwindsFromTheIrqStackToTheInterruptedCode) {
    auto traced = state_->trace_at("hrtimer_interrupt", "a timer interrupt");
    ASSERT_TRUE(traced) << traced.error().message;
    const Json& trace = *traced;
    const Json& frames = trace["frames"];
    const auto names = functions(frames);
    ASSERT_FALSE(names.empty());
    EXPECT_EQ(names.front(), "hrtimer_interrupt");
    EXPECT_TRUE(trace["stop_reason"].is_null()) << trace.dump();
    // Through the IRQ stack to the entry stub's frame on the interrupted stack, then (unless
    // user mode was interrupted) on into the interrupted code.
    std::size_t entry = names.size();
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (names[i] == entry_names().timer_entry ||
            (arm64_kernel() && names[i] == "el0t_64_irq")) {
            entry = i;
            break;
        }
    }
    ASSERT_LT(entry, names.size()) << describe(frames);
    // Idle or a task: either way the trace ends where every kernel stack ends, or at the
    // entry stub of an interrupt that came from user mode (the timer, or e.g. a reschedule
    // IPI on its way back to user mode when the timer fired).
    // arm64's idle stacks end at the boot CPU's __primary_switched or a secondary's
    // __secondary_switched; an interrupt from user mode at el0t_64_irq.
    const std::string& last = names.back();
    EXPECT_TRUE(last.starts_with(entry_names().syscall_entry) ||
                last.starts_with("ret_from_fork") || last.starts_with("secondary_startup_64") ||
                last.starts_with("common_startup_64") || last.starts_with("start_secondary") ||
                last.starts_with("asm_") || last == "__primary_switched" ||
                last == "__secondary_switched" || last.starts_with("el0t_64_"))
        << describe(frames);
}

TEST_F(UnwindGuest, ForeachBtGroupsSleepingIdleAndKernelThreads) {
    const Json ps = state_->json("ps --json");
    ASSERT_TRUE(ps.is_array());
    std::map<int, Json> by_pid;
    for (const auto& task : ps) {
        by_pid[task["pid"].get<int>()] = task;
    }
    const Json groups = state_->json("foreach bt --json");
    ASSERT_TRUE(groups.is_array());
    std::size_t total = 0;
    int sleeps = 0;
    int kernel_threads = 0;
    int idle = 0;
    std::size_t largest_sleep_group = 0;
    for (const auto& group : groups) {
        total += group["count"].get<std::size_t>();
        ASSERT_EQ(group["count"].get<std::size_t>(), group["tasks"].size());
        const auto names = functions(group["frames"]);
        const std::string shape = describe(group["frames"]);
        for (const auto& member : group["tasks"]) {
            const int pid = member["pid"].get<int>();
            const std::string comm = member["comm"].get<std::string>();
            if (pid == 0 || comm.starts_with("swapper/")) {
                ++idle;
                EXPECT_TRUE(has(names, {"do_idle"})) << comm << ": " << shape;
                continue;
            }
            const bool kthread = pid == 2 || (by_pid.contains(pid) && by_pid[pid]["ppid"] == 2);
            if (kthread) {
                ++kernel_threads;
                ASSERT_FALSE(names.empty()) << comm << ": " << group["stop_reason"];
                EXPECT_TRUE(names.back().starts_with("ret_from_fork"))
                    << comm << " (" << pid << "): " << shape << " " << group["stop_reason"];
                EXPECT_TRUE(group["stop_reason"].is_null()) << comm << ": " << shape;
            }
            // A `sleep` caught running (just started, or woken, on a vCPU when the guest was
            // stopped) is not asleep in schedule(): only those ps shows sleeping are checked.
            const bool asleep = by_pid.contains(pid) && by_pid[pid]["state"] == "S";
            if (comm == "sleep" && asleep) {
                ++sleeps;
                EXPECT_TRUE(has(names, {"schedule", "__schedule"})) << shape;
                const std::string prefix(entry_names().sleep_syscall);
                EXPECT_TRUE(has(names, {"do_nanosleep", "hrtimer_nanosleep", "common_nsleep",
                                        prefix + "clock_nanosleep", prefix + "nanosleep"}))
                    << shape;
                EXPECT_TRUE(names.back().starts_with(entry_names().syscall_entry)) << shape;
                largest_sleep_group = std::max(largest_sleep_group, group["tasks"].size());
            }
        }
    }
    // Every listed task, and the second CPU's idle task that the task list does not hold.
    EXPECT_EQ(total, ps.size() + 1);
    EXPECT_GE(sleeps, 4);
    EXPECT_GE(idle, 2); // swapper/0 and the second CPU's idle task
    EXPECT_GT(kernel_threads, 5);
    // The four marker sleeps wait in the same place: one group.
    EXPECT_GE(largest_sleep_group, 4u);
    EXPECT_LT(groups.size(), ps.size());
}

TEST_F(UnwindGuest, BtOfAPidAndOfEveryCpu) {
    const Json one = state_->json("bt 1 --json");
    ASSERT_TRUE(one.is_object());
    const auto init_names = functions(one["frames"]);
    ASSERT_FALSE(init_names.empty());
    EXPECT_TRUE(one["stop_reason"].is_null()) << one.dump();
    const Json all = state_->json("bt -a --json");
    ASSERT_TRUE(all.is_array());
    EXPECT_EQ(all.size(), 2u);
    for (const auto& cpu : all) {
        // A vCPU may be in user mode (no kernel frames) or anywhere in the kernel.
        if (!cpu["frames"].empty()) {
            EXPECT_TRUE(cpu["frames"][0]["pc"].get<std::string>().starts_with("0xffff"));
        } else {
            EXPECT_NE(cpu["stop_reason"].get<std::string>().find("user mode"), std::string::npos);
        }
    }
}

// A sleeping task whose saved state is corrupt: bt stops with a reason (or fails naming what it
// could not read), never loops; restored, the same task unwinds in full again.
TEST_F(UnwindGuest, CorruptSavedStateStopsWithAReason) {
    const Json ps = state_->json("ps --json");
    std::uint64_t task = 0;
    for (const auto& row : ps) {
        if (row["comm"] == "sleep") {
            task = std::stoull(row["task"].get<std::string>(), nullptr, 16);
            break;
        }
    }
    ASSERT_NE(task, 0u) << "no marker sleep in " << ps.dump();
    auto kernel = state_->commands->kernel();
    ASSERT_TRUE(kernel) << kernel.error().message;
    auto task_layout = (*kernel)->layout("task_struct");
    ASSERT_TRUE(task_layout) << task_layout.error().message;
    // The saved word the unwinder continues from (x86-64: thread.sp, the stack the
    // inactive_task_frame is on; arm64: cpu_context.fp, the frame record chain) and the
    // saved return address (the frame's ret_addr; cpu_context.pc).
    std::uint64_t chain_field = 0;
    std::uint64_t ret_slot = 0;
    auto& target = *state_->target;
    const auto read_word = [&](std::uint64_t address) {
        std::array<std::uint8_t, 8> bytes{};
        EXPECT_TRUE(target.read_memory(address, bytes));
        std::uint64_t value = 0;
        std::memcpy(&value, bytes.data(), 8);
        return value;
    };
    const auto write_word = [&](std::uint64_t address, std::uint64_t value) {
        std::array<std::uint8_t, 8> bytes{};
        std::memcpy(bytes.data(), &value, 8);
        return target.write_memory(address, bytes).has_value();
    };
    if (arm64_kernel()) {
        auto fp = (*task_layout)->offset("thread.cpu_context.fp");
        auto pc = (*task_layout)->offset("thread.cpu_context.pc");
        ASSERT_TRUE(fp && pc);
        chain_field = task + *fp;
        ret_slot = task + *pc;
    } else {
        auto sp_offset = (*task_layout)->offset("thread.sp");
        auto frame_layout = (*kernel)->layout("inactive_task_frame");
        ASSERT_TRUE(sp_offset && frame_layout);
        auto ret_offset = (*frame_layout)->offset("ret_addr");
        ASSERT_TRUE(ret_offset);
        chain_field = task + *sp_offset;
        ret_slot = read_word(chain_field) + *ret_offset;
    }
    const std::string bt = fmt::format("bt {:#x} --json", task);
    const std::uint64_t saved_chain = read_word(chain_field);
    const std::uint64_t saved_ret = read_word(ret_slot);
    // Nothing maps it: x86-64's unused hole below the vmemmap; on arm64 an address outside
    // both halves of the 48- and 52-bit address spaces.
    const std::uint64_t unmapped = arm64_kernel() ? 0x8000000000000000ull : 0xffffc8ffffff0000ull;

    // The return address into __schedule replaced by one that is no code at all.
    ASSERT_TRUE(write_word(ret_slot, 0x4141414141414141ull));
    auto bogus_pc = state_->commands->run(bt);
    // Its saved stack or frame pointer aimed at the bottom of its stack: no frame there.
    ASSERT_TRUE(write_word(ret_slot, saved_ret));
    ASSERT_TRUE(write_word(chain_field, saved_chain & ~std::uint64_t{0x3fff}));
    auto bottom = state_->commands->run(bt);
    // And at an address nothing maps.
    ASSERT_TRUE(write_word(chain_field, unmapped));
    auto nowhere = state_->commands->run(bt);
    ASSERT_TRUE(write_word(chain_field, saved_chain));

    for (auto* out : {&bogus_pc, &bottom, &nowhere}) {
        ASSERT_TRUE(*out);
        if (!**out) {
            // Refused outright: the message names what could not be read.
            EXPECT_NE((*out)->error().message.find("0x"), std::string::npos)
                << (*out)->error().message;
            continue;
        }
        const Json trace = Json::parse(***out, nullptr, false);
        ASSERT_TRUE(trace.is_object()) << ***out;
        EXPECT_TRUE(trace["stop_reason"].is_string()) << trace.dump();
        EXPECT_LE(trace["frames"].size(), 2u) << trace.dump();
    }
    const Json restored = state_->json(bt);
    EXPECT_TRUE(restored["stop_reason"].is_null()) << restored.dump();
    EXPECT_TRUE(functions(restored["frames"]).back().starts_with(entry_names().syscall_entry))
        << describe(restored["frames"]);
}

// At __switch_to's entry on x86-64 the vCPU already runs on the next task's stack while
// current_task still names the previous task: the registers belong to next, prev unwinds from
// its saved frame. arm64 switches stacks later, in cpu_switch_to: at __switch_to's entry the
// vCPU is still prev's (SP_EL0 names it), and next resumes from its cpu_context.
TEST_F(UnwindGuest, ATaskBeingSwitchedToOwnsTheVcpu) {
    auto traced = state_->trace_at("__switch_to", "a context switch");
    ASSERT_TRUE(traced) << traced.error().message;
    const bool arm64 = arm64_kernel();
    auto prev = state_->target->read_register(arm64 ? "x0" : "rdi");
    auto next = state_->target->read_register(arm64 ? "x1" : "rsi");
    ASSERT_TRUE(prev && next);
    ASSERT_NE(*prev, *next);
    // The task whose stack the vCPU runs on, and the one switched away from it.
    const std::uint64_t running = arm64 ? *prev : *next;
    const std::uint64_t saved = arm64 ? *next : *prev;

    const Json on_cpu = state_->json(fmt::format("bt {:#x} --json", running));
    ASSERT_TRUE(on_cpu.is_object());
    const auto on_cpu_names = functions(on_cpu["frames"]);
    ASSERT_FALSE(on_cpu_names.empty()) << on_cpu.dump();
    EXPECT_EQ(on_cpu_names.front(), "__switch_to") << describe(on_cpu["frames"]);
    EXPECT_EQ(on_cpu["frames"][0]["pc"],
              fmt::format("{:#x}", *state_->target->read_register(arm64 ? "pc" : "rip")))
        << on_cpu.dump();

    const Json asleep = state_->json(fmt::format("bt {:#x} --json", saved));
    ASSERT_TRUE(asleep.is_object());
    const auto asleep_names = functions(asleep["frames"]);
    ASSERT_FALSE(asleep_names.empty()) << asleep.dump();
    EXPECT_TRUE(asleep["stop_reason"].is_null()) << asleep.dump();
    if (arm64) {
        // Saved inside __switch_to, after cpu_switch_to returned to it; or a new task's first
        // switch, which resumes in ret_from_fork.
        EXPECT_TRUE(asleep_names.front() == "__switch_to" ||
                    asleep_names.front().starts_with("ret_from_fork"))
            << describe(asleep["frames"]);
        EXPECT_NE(asleep["frames"][0]["pc"], on_cpu["frames"][0]["pc"]) << asleep.dump();
        if (asleep_names.front() == "__switch_to") {
            EXPECT_TRUE(has(asleep_names, {"__schedule"})) << describe(asleep["frames"]);
        }
    } else {
        EXPECT_NE(asleep_names.front(), "__switch_to") << describe(asleep["frames"]);
        EXPECT_TRUE(has(asleep_names, {"__schedule"})) << describe(asleep["frames"]);
    }

    // foreach bt agrees: the running task's group starts at __switch_to's entry.
    const Json groups = state_->json("foreach bt --json");
    ASSERT_TRUE(groups.is_array());
    bool found = false;
    for (const auto& group : groups) {
        for (const auto& member : group["tasks"]) {
            if (member["task"] == fmt::format("{:#x}", running)) {
                found = true;
                EXPECT_EQ(functions(group["frames"]).front(), "__switch_to")
                    << describe(group["frames"]);
            }
        }
    }
    EXPECT_TRUE(found) << "task " << std::hex << running << " is not in foreach bt";
}

// GDB through `kdive serve`: a breakpoint on a module function (resolved from the module's
// debug file, no lx-symbols) is hit when the guest calls it, in the task that called it; after
// GDB detaches, nothing is left behind in QEMU's stub: the guest runs on through that function.
TEST_F(UnwindGuest, ServedModuleBreakpointIsHitAndGoneAfterDetach) {
    if (find_program(test_gdb()).empty()) {
        KDIVE_MISSING_PREREQUISITE() << "gdb is not installed";
    }
    state_->release();
    RunOptions options;
    options.timeout = std::chrono::minutes(3);
    auto gdb = run_process(
        gdb_batch({state_->vm->session().vmlinux.string(), "-ex",
                   std::string("target remote | ") + KDIVE_BINARY + " serve " +
                       state_->vm->session().dir.string() + " --stdio",
                   "-ex", "break dummy_setup", "-ex", "continue", "-ex", "bt 3", "-ex", "detach"}),
        options);
    auto reattached = state_->attach();
    ASSERT_TRUE(reattached) << reattached.error().message;
    ASSERT_TRUE(gdb) << gdb.error().message;
    EXPECT_TRUE(std::regex_search(
        gdb->out,
        std::regex(
            R"re(Thread \d+ "ip" hit Breakpoint 1(\.\d+)?, (0x[0-9a-f]+ in )?dummy_setup)re")))
        << gdb->out << gdb->err;
    EXPECT_TRUE(
        std::regex_search(gdb->out, std::regex(R"re(#0 .*dummy_setup .*drivers/net/dummy\.c)re")))
        << gdb->out;
    // The guest adds a dummy link every second: a breakpoint left in the stub would stop it.
    ASSERT_TRUE(state_->target->resume());
    auto stop = state_->target->wait_for_stop(3s);
    ASSERT_TRUE(stop) << stop.error().message;
    EXPECT_FALSE(stop->has_value()) << "the guest stopped after GDB detached";
    if (!stop->has_value()) {
        ASSERT_TRUE(state_->target->interrupt());
        auto stopped = state_->target->wait_for_stop(30s);
        ASSERT_TRUE(stopped && *stopped);
    }
}

} // namespace
} // namespace kdive::testing
