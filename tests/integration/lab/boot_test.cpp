// Every test kernel boots a kdive rootfs to the BusyBox shell; --paused holds the reset vector.
#include "lab/compression.hpp"
#include "lab/console_log.hpp"
#include "lab/kernel_manifest.hpp"
#include "lab/qmp_client.hpp"
#include "lab/rootfs_builder.hpp"
#include "support/atomic_file.hpp"
#include "support/cache_dir.hpp"
#include "support/subprocess.hpp"
#include "test_vm.hpp"

#include <chrono>
#include <csignal>
#include <gtest/gtest.h>
#include <sstream>
#include <sys/wait.h>
#include <thread>

namespace kdive::testing {
namespace {

using namespace std::chrono_literals;

TEST(Boot, ReachesTheShellFromAKdiveRootfs) {
    auto start = std::chrono::steady_clock::now();
    auto vm = TestVm::boot(test_kernel(), {"--smp", "2"});
    ASSERT_TRUE(vm) << vm.error().message;
    auto ready = vm->wait_for(lab::rootfs_ready_marker);
    ASSERT_TRUE(ready) << ready.error().message;
    auto shell = vm->wait_for(lab::shell_banner);
    ASSERT_TRUE(shell) << shell.error().message;
    auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("%s: boot to shell in %.2f s (TCG, 2 vCPUs)\n", test_kernel().c_str(), seconds);
    RecordProperty("boot_seconds", std::to_string(seconds));
    auto log = read_file(vm->session().console_log);
    ASSERT_TRUE(log);
    EXPECT_NE(log->find("Run /init as init process"), std::string::npos);
    EXPECT_EQ(log->find("Kernel panic"), std::string::npos);
    // The gdbstub and QMP sockets are private to the user.
    auto gdb_socket = vm->session().gdb.substr(5);
    EXPECT_EQ(std::filesystem::status(gdb_socket).permissions() & std::filesystem::perms::all,
              std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    ASSERT_TRUE(vm->stop());
    EXPECT_FALSE(lab::is_qemu_alive(vm->session().pid));
}

TEST(Boot, PausedStaysAtTheResetVectorUntilContinued) {
    auto vm = TestVm::boot(test_kernel(), {"--paused"});
    ASSERT_TRUE(vm) << vm.error().message;
    // QEMU serves one QMP client at a time: this one is closed before `kdive stop`.
    auto qmp = lab::QmpClient::connect(vm->session().qmp, 5s);
    ASSERT_TRUE(qmp) << qmp.error().message;
    std::this_thread::sleep_for(1500ms);
    auto status = qmp->execute("query-status");
    ASSERT_TRUE(status) << status.error().message;
    EXPECT_FALSE((*status)["running"].get<bool>());
    EXPECT_EQ((*status)["status"], "prelaunch");
    EXPECT_EQ(std::filesystem::file_size(vm->session().console_log), 0U);
    ASSERT_TRUE(qmp->execute("cont"));
    auto shell = vm->wait_for(lab::shell_banner);
    ASSERT_TRUE(shell) << shell.error().message;
    status = qmp->execute("query-status");
    ASSERT_TRUE(status);
    EXPECT_TRUE((*status)["running"].get<bool>());
    qmp = fail("closed");
    ASSERT_TRUE(vm->stop());
}

// Picks a leaf module (its .modinfo says "depends=" with nothing after it). Debian's packages
// carry no modules.dep, so the module itself is the authority.
std::optional<std::filesystem::path> standalone_module(const std::filesystem::path& kernel_dir) {
    for (const auto& item : std::filesystem::recursive_directory_iterator(kernel_dir / "modules")) {
        auto name = item.path().filename().string();
        bool candidate = false;
        for (const char* wanted : {"crc-itu-t.ko", "crc7.ko", "crc8.ko"}) {
            candidate = candidate || name.starts_with(wanted);
        }
        if (!candidate) {
            continue;
        }
        auto raw = read_file(item.path());
        if (!raw) {
            continue;
        }
        auto plain = lab::decompress_module(*raw, name);
        if (plain && plain->find(std::string("depends=\0", 9)) != std::string::npos) {
            return item.path();
        }
    }
    return std::nullopt;
}

TEST(Boot, LoadsModulesAndRunsTheInitScript) {
    auto kernel_dir = cache_dir() / "kernels" / test_kernel();
    auto module = standalone_module(kernel_dir);
    ASSERT_TRUE(module) << "no standalone module found under " << kernel_dir;
    TempDir dir("rootfs-modules");
    auto script = dir / "check.sh";
    ASSERT_TRUE(write_file_atomically(script, "#!/bin/sh\necho \"modules: $(cut -d' ' -f1 "
                                              "/proc/modules | tr '\\n' ' ')\"\n"));
    // zstd exercises the second compressor where the kernel can unpack it.
    auto config = read_file(kernel_dir / "config");
    bool zstd = config && config->find("CONFIG_RD_ZSTD=y") != std::string::npos;
    auto rootfs = dir / "rootfs.cpio";
    // The busybox of the kernel's architecture: Debian's arm64 one for an arm64 kernel.
    auto manifest = lab::KernelManifest::read(kernel_dir / "kernel.json");
    ASSERT_TRUE(manifest) << manifest.error().message;
    auto built =
        run_kdive({"rootfs", "-o", rootfs.string(), "--arch",
                   std::string(lab::arch_name(manifest->arch)), "--module", module->string(),
                   "--init-script", script.string(), "--compress", zstd ? "zstd" : "gzip"});
    ASSERT_TRUE(built) << built.error().message;
    auto vm = TestVm::boot(test_kernel(), {"--initrd", rootfs.string()});
    ASSERT_TRUE(vm) << vm.error().message;
    std::string name = module->filename().string();
    name = name.substr(0, name.find(".ko"));
    std::replace(name.begin(), name.end(), '-', '_');
    auto loaded = vm->wait_for("modules: " + name);
    EXPECT_TRUE(loaded) << loaded.error().message;
    ASSERT_TRUE(vm->stop());
}

} // namespace
} // namespace kdive::testing
