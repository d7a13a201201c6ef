// QEMU arguments, endpoints and sessions, without starting a VM.
#include "lab/qemu_launcher.hpp"
#include "temp_dir.hpp"

#include <algorithm>
#include <gtest/gtest.h>

namespace kdive::lab {
namespace {

bool has_pair(const std::vector<std::string>& args, const std::string& flag,
              const std::string& value) {
    for (size_t i = 0; i + 1 < args.size(); ++i) {
        if (args[i] == flag && args[i + 1] == value) {
            return true;
        }
    }
    return false;
}

TEST(QemuLauncher, PrivateGdbEndpointsOnly) {
    EXPECT_EQ(*validate_gdb_endpoint("tcp:localhost:1234"), "tcp:127.0.0.1:1234");
    EXPECT_TRUE(validate_gdb_endpoint("unix:/tmp/x.sock"));
    auto open = validate_gdb_endpoint("tcp:0.0.0.0:1234");
    ASSERT_FALSE(open);
    EXPECT_NE(open.error().message.find("127.0.0.1"), std::string::npos);
    EXPECT_FALSE(validate_gdb_endpoint("tcp::1234"));
    EXPECT_FALSE(validate_gdb_endpoint("tcp:127.0.0.1:99999"));
    EXPECT_FALSE(validate_gdb_endpoint("1234"));
}

TEST(QemuLauncher, ArgumentsForAPausedTcgBoot) {
    BootConfig config;
    config.dir = "/run/s";
    config.bzimage = "/k/bzImage";
    config.initrd = "/k/rootfs.gz";
    config.paused = true;
    config.smp = 2;
    config.append = "quiet";
    Session session = session_for(config);
    auto args = qemu_arguments(config, session);
    EXPECT_TRUE(has_pair(args, "-kernel", "/k/bzImage"));
    EXPECT_TRUE(has_pair(args, "-initrd", "/k/rootfs.gz"));
    EXPECT_TRUE(has_pair(args, "-smp", "2"));
    EXPECT_TRUE(has_pair(args, "-accel", "tcg,thread=single"));
    EXPECT_TRUE(has_pair(args, "-device", "vmcoreinfo"));
    EXPECT_TRUE(has_pair(args, "-machine", "memory-backend=kdive-ram"));
    config.mttcg = true;
    EXPECT_TRUE(has_pair(qemu_arguments(config, session), "-accel", "tcg,thread=multi"));
    config.mttcg = false;
    EXPECT_TRUE(has_pair(args, "-append", "console=ttyS0 panic=-1 nokaslr quiet"));
    EXPECT_TRUE(has_pair(args, "-gdb", "chardev:gdb0"));
    EXPECT_TRUE(
        has_pair(args, "-chardev", "socket,id=gdb0,server=on,wait=off,path=/run/s/gdb.sock"));
    EXPECT_TRUE(has_pair(args, "-qmp", "unix:/run/s/qmp.sock,server=on,wait=off"));
    EXPECT_NE(std::find(args.begin(), args.end(), "-S"), args.end());
    EXPECT_EQ(session.gdb, "unix:/run/s/gdb.sock");
    // QEMU's own CPU model unless one is asked for.
    EXPECT_EQ(std::find(args.begin(), args.end(), "-cpu"), args.end());
    config.cpu = "qemu64,+la57";
    EXPECT_TRUE(has_pair(qemu_arguments(config, session), "-cpu", "qemu64,+la57"));
}

TEST(QemuLauncher, Arm64RunsTheVirtMachineUnderTcg) {
    BootConfig config;
    config.dir = "/run/s";
    config.bzimage = "/k/Image";
    config.initrd = "/k/rootfs.gz";
    config.arch = KernelArch::arm64;
    config.smp = 2;
    Session session = session_for(config);
    EXPECT_EQ(session.arch, KernelArch::arm64);
    auto args = qemu_arguments(config, session);
    ASSERT_FALSE(args.empty());
    EXPECT_EQ(args.front(), "qemu-system-aarch64");
    EXPECT_EQ(qemu_binary(config), "qemu-system-aarch64");
    EXPECT_TRUE(has_pair(args, "-machine", "virt,gic-version=3"));
    EXPECT_TRUE(has_pair(args, "-cpu", "max,pauth-impdef=on,sve=off"));
    EXPECT_TRUE(has_pair(args, "-accel", "tcg,thread=single"));
    EXPECT_TRUE(has_pair(args, "-kernel", "/k/Image"));
    EXPECT_TRUE(has_pair(args, "-append", "console=ttyAMA0 panic=-1 nokaslr"));
    // The same plumbing as x86-64: shared RAM, vmcoreinfo, gdbstub, QMP, serial console.
    EXPECT_TRUE(has_pair(args, "-machine", "memory-backend=kdive-ram"));
    EXPECT_TRUE(has_pair(args, "-object", "memory-backend-memfd,id=kdive-ram,size=1024M,share=on"));
    EXPECT_TRUE(has_pair(args, "-device", "vmcoreinfo"));
    EXPECT_TRUE(has_pair(args, "-gdb", "chardev:gdb0"));
    EXPECT_TRUE(has_pair(args, "-serial", "chardev:con0"));
    EXPECT_TRUE(has_pair(args, "-qmp", "unix:/run/s/qmp.sock,server=on,wait=off"));
    // A CPU asked for replaces kdive's.
    config.cpu = "cortex-a57";
    auto a57 = qemu_arguments(config, session);
    EXPECT_TRUE(has_pair(a57, "-cpu", "cortex-a57"));
    EXPECT_EQ(std::count(a57.begin(), a57.end(), "-cpu"), 1);
    config.kaslr = true;
    EXPECT_EQ(kernel_command_line(config), "console=ttyAMA0 panic=-1");
    // x86-64 keeps QEMU's default machine.
    config.arch = KernelArch::amd64;
    config.cpu.clear();
    auto x86 = qemu_arguments(config, session_for(config));
    EXPECT_EQ(x86.front(), "qemu-system-x86_64");
    EXPECT_FALSE(has_pair(x86, "-machine", "virt,gic-version=3"));
    EXPECT_EQ(std::find(x86.begin(), x86.end(), "-cpu"), x86.end());
}

TEST(QemuLauncher, Arm64NeverUnderKvmOnAnotherHost) {
    if (host_arch() == KernelArch::arm64) {
        GTEST_SKIP() << "an arm64 host may run arm64 guests under KVM";
    }
    testing::TempDir dir("kvm-arm64");
    BootConfig config;
    config.dir = dir.path();
    config.bzimage = "/nonexistent/Image";
    config.arch = KernelArch::arm64;
    config.kvm = true;
    auto vm = launch_vm(config);
    ASSERT_FALSE(vm);
    EXPECT_NE(vm.error().message.find("KVM"), std::string::npos) << vm.error().message;
}

TEST(QemuLauncher, MissingQemuNamesItsPackage) {
    BootConfig config;
    config.bzimage = "/nonexistent/Image";
    config.arch = KernelArch::arm64;
    config.qemu = "kdive-no-such-qemu-system-aarch64";
    auto vm = launch_vm(config);
    ASSERT_FALSE(vm);
    EXPECT_NE(vm.error().message.find("install qemu-system-arm"), std::string::npos)
        << vm.error().message;
}

TEST(QemuLauncher, KaslrAndTcpEndpoint) {
    BootConfig config;
    config.dir = "/run/s";
    config.bzimage = "/k/bzImage";
    config.kaslr = true;
    config.kvm = true;
    config.gdb = "tcp:127.0.0.1:4321";
    Session session = session_for(config);
    auto args = qemu_arguments(config, session);
    EXPECT_TRUE(has_pair(args, "-gdb", "tcp:127.0.0.1:4321"));
    EXPECT_TRUE(has_pair(args, "-accel", "kvm"));
    EXPECT_TRUE(has_pair(args, "-cpu", "host"));
    EXPECT_EQ(session.append.find("nokaslr"), std::string::npos);
    EXPECT_EQ(std::find(args.begin(), args.end(), "-S"), args.end());
}

TEST(QemuLauncher, SessionRoundTrips) {
    testing::TempDir dir("session");
    BootConfig config;
    config.dir = dir.path();
    config.bzimage = "/k/bzImage";
    config.vmlinux = "/k/vmlinux";
    config.kernel_label = "debian-6.1-cloud";
    config.smp = 3;
    Session session = session_for(config);
    session.pid = 4242;
    ASSERT_TRUE(session.save());
    auto loaded = Session::load(dir.path());
    ASSERT_TRUE(loaded) << loaded.error().message;
    EXPECT_EQ(loaded->arch, KernelArch::amd64);
    config.arch = KernelArch::arm64;
    ASSERT_TRUE(session_for(config).save());
    auto arm64 = Session::load(dir.path());
    ASSERT_TRUE(arm64) << arm64.error().message;
    EXPECT_EQ(arm64->arch, KernelArch::arm64);
    ASSERT_TRUE(session.save());
    loaded = Session::load(dir.path());
    ASSERT_TRUE(loaded) << loaded.error().message;
    EXPECT_EQ(loaded->gdb, session.gdb);
    EXPECT_EQ(loaded->pid, 4242);
    EXPECT_EQ(loaded->vmlinux, "/k/vmlinux");
    EXPECT_EQ(loaded->smp, 3);
    EXPECT_EQ(loaded->kernel, "debian-6.1-cloud");
}

TEST(QemuLauncher, MissingSessionAndKernelAreNamed) {
    auto missing = Session::load("/nonexistent/kdive-session");
    ASSERT_FALSE(missing);
    EXPECT_NE(missing.error().message.find("/nonexistent/kdive-session"), std::string::npos);
    BootConfig config;
    config.bzimage = "/nonexistent/bzImage";
    auto vm = launch_vm(config);
    ASSERT_FALSE(vm);
    EXPECT_NE(vm.error().message.find("/nonexistent/bzImage"), std::string::npos);
}

} // namespace
} // namespace kdive::lab
