// GDB through `kdive relay` while the guest runs user code: a vCPU stopped in user mode maps
// no kernel memory (arm64's E0PD; x86-64's user page tables under KPTI), so QEMU's stub refuses
// GDB's kernel reads on that thread. The relay answers them from the kernel's page tables.
#include "gdb_reference.hpp"
#include "lab/boot_kernel.hpp"
#include "support/atomic_file.hpp"
#include "support/subprocess.hpp"
#include "temp_dir.hpp"
#include "test_vm.hpp"

#include <gtest/gtest.h>
#include <regex>
#include <thread>

namespace kdive::testing {
namespace {

// Two shells spinning in user mode keep both vCPUs there most of the time.
constexpr std::string_view busy_script = R"(#!/bin/sh
(while :; do :; done) &
(while :; do :; done) &
echo KDIVE-BUSY-STARTED
)";

// What GDB printed for one thread: between "==N" and the next marker (or the end).
std::string thread_part(const std::string& out, int thread) {
    const std::string marker = "==" + std::to_string(thread) + "\n";
    const auto start = out.find(marker);
    if (start == std::string::npos) {
        return {};
    }
    const auto end = out.find("==", start + marker.size());
    return out.substr(start + marker.size(),
                      end == std::string::npos ? std::string::npos : end - start - marker.size());
}

TEST(GdbRelay, ReadsKernelMemoryThroughAVcpuInUserMode) {
    auto kernel = lab::resolve_boot_kernel(test_kernel());
    ASSERT_TRUE(kernel) << kernel.error().message;
    TempDir dir("relay-user-mode");
    const auto script = dir.path() / "busy.sh";
    ASSERT_TRUE(write_file_atomically(script, busy_script, 0755));
    const auto rootfs = dir.path() / "rootfs.cpio.gz";
    std::vector<std::string> args{"rootfs", "-o", rootfs.string(), "--init-script",
                                  script.string()};
    if (kernel->arch == lab::KernelArch::arm64) {
        args.insert(args.end(), {"--arch", "arm64"});
    }
    auto built = run_kdive(args);
    ASSERT_TRUE(built) << built.error().message;
    auto vm = TestVm::boot(test_kernel(), {"--smp", "2", "--initrd", rootfs.string()});
    ASSERT_TRUE(vm) << vm.error().message;
    ASSERT_TRUE(vm->wait_for("KDIVE-BUSY-STARTED"));

    // Each GDB session stops the guest where it is and lets it go on at `detach`; a few tries
    // find a vCPU in user mode.
    std::vector<std::string> commands{kernel->vmlinux.string(), "-ex",
                                      std::string("target remote | ") + KDIVE_BINARY + " relay " +
                                          vm->session().gdb};
    for (int thread : {1, 2}) {
        const std::string n = std::to_string(thread);
        commands.insert(commands.end(),
                        {"-ex", "thread " + n, "-ex", "echo ==" + n + "\\n", "-ex", "p/x $pc",
                         "-ex", "p init_task.comm", "-ex", "p sizeof(init_task.comm)"});
    }
    commands.insert(commands.end(), {"-ex", "echo ==end\\n", "-ex", "detach"});
    RunOptions options;
    options.timeout = std::chrono::minutes(2);
    const std::regex user_pc(R"(= 0x([0-7][0-9a-f]{0,15}|[0-9a-f]{1,15})\n)");
    bool seen = false;
    std::string last;
    for (int attempt = 0; attempt < 10 && !seen; ++attempt) {
        auto gdb = run_process(gdb_batch(commands), options);
        ASSERT_TRUE(gdb) << gdb.error().message;
        last = gdb->out + gdb->err;
        for (int thread : {1, 2}) {
            const std::string part = thread_part(gdb->out, thread);
            std::smatch pc;
            if (!std::regex_search(part, pc, user_pc) ||
                static_cast<std::size_t>(pc.position(0)) != part.find("= 0x")) {
                continue; // this vCPU was in the kernel
            }
            seen = true;
            EXPECT_NE(part.find("= \"swapper/0"), std::string::npos) << last;
            EXPECT_NE(part.find("= 16\n"), std::string::npos) << last;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
    }
    EXPECT_TRUE(seen) << "no vCPU was caught in user mode in 10 tries:\n" << last;
}

} // namespace
} // namespace kdive::testing
