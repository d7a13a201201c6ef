// The BusyBox rootfs: layout, device nodes, modules, additions.
#include "lab/compression.hpp"
#include "lab/rootfs_builder.hpp"
#include "support/atomic_file.hpp"
#include "support/subprocess.hpp"
#include "temp_dir.hpp"

#include <algorithm>
#include <gtest/gtest.h>

namespace kdive::lab {
namespace {

const CpioEntry* find(const std::vector<CpioEntry>& entries, const std::string& name) {
    auto it = std::find_if(entries.begin(), entries.end(),
                           [&](const CpioEntry& e) { return e.name == name; });
    return it == entries.end() ? nullptr : &*it;
}

TEST(RootfsBuilder, HasTheRecipeLayout) {
    auto entries = build_rootfs({});
    ASSERT_TRUE(entries) << entries.error().message;
    const auto* console = find(*entries, "dev/console");
    ASSERT_NE(console, nullptr);
    EXPECT_EQ(console->type, CpioType::CharDevice);
    EXPECT_EQ(console->dev_major, 5U);
    EXPECT_EQ(console->dev_minor, 1U);
    const auto* null = find(*entries, "dev/null");
    ASSERT_NE(null, nullptr);
    EXPECT_EQ(null->dev_major, 1U);
    EXPECT_EQ(null->dev_minor, 3U);
    for (const char* name : {"bin/busybox", "bin/sh", "sbin/mdev", "linuxrc", "init", "etc/fstab",
                             "etc/inittab", "etc/init.d/rcS"}) {
        EXPECT_NE(find(*entries, name), nullptr) << name;
    }
    EXPECT_EQ(find(*entries, "init")->data, "bin/busybox");
    std::string fstab = find(*entries, "etc/fstab")->data;
    for (const char* mount : {"/proc", "/tmp", "/sys", "/dev", "debugfs"}) {
        EXPECT_NE(fstab.find(mount), std::string::npos) << mount;
    }
    std::string inittab = find(*entries, "etc/inittab")->data;
    EXPECT_NE(inittab.find("::sysinit:/etc/init.d/rcS"), std::string::npos);
    EXPECT_NE(inittab.find("::respawn:-/bin/sh"), std::string::npos);
    EXPECT_NE(inittab.find("::ctrlaltdel:"), std::string::npos);
    std::string rcs = find(*entries, "etc/init.d/rcS")->data;
    for (const char* step : {"mount -a", "devpts", "mdev -s", "hotplug"}) {
        EXPECT_NE(rcs.find(step), std::string::npos) << step;
    }
    // Every name appears once, and every parent directory precedes its contents.
    std::set<std::string> seen;
    for (const auto& e : *entries) {
        EXPECT_TRUE(seen.insert(e.name).second) << "duplicate " << e.name;
        auto slash = e.name.rfind('/');
        if (slash != std::string::npos) {
            EXPECT_TRUE(seen.contains(e.name.substr(0, slash))) << e.name;
        }
    }
}

TEST(RootfsBuilder, DecompressesAndLoadsModules) {
    testing::TempDir dir("rootfs-mod");
    std::string fake_module = std::string("\x7f"
                                          "ELF",
                                          4) +
                              std::string(3000, 'm');
    ASSERT_TRUE(write_file_atomically(dir / "a.ko", fake_module));
    ASSERT_TRUE(write_file_atomically(dir / "b.ko", fake_module));
    ASSERT_TRUE(run_checked({"xz", "-k", "-f", (dir / "a.ko").string()}));
    ASSERT_TRUE(run_checked({"zstd", "-q", "-f", (dir / "b.ko").string()}));
    RootfsOptions options;
    options.modules = {dir / "a.ko.xz", dir / "b.ko.zst"};
    auto entries = build_rootfs(options);
    ASSERT_TRUE(entries) << entries.error().message;
    ASSERT_NE(find(*entries, "lib/modules/a.ko"), nullptr);
    EXPECT_EQ(find(*entries, "lib/modules/a.ko")->data, fake_module);
    EXPECT_EQ(find(*entries, "lib/modules/b.ko")->data, fake_module);
    EXPECT_EQ(find(*entries, "etc/kdive-modules")->data, "a.ko\nb.ko\n");
    EXPECT_NE(find(*entries, "etc/init.d/rcS")->data.find("insmod"), std::string::npos);
}

TEST(RootfsBuilder, RejectsCorruptModule) {
    testing::TempDir dir("rootfs-bad");
    ASSERT_TRUE(write_file_atomically(dir / "bad.ko.xz", std::string("\xFD"
                                                                     "7zXZ\0garbage",
                                                                     13)));
    RootfsOptions options;
    options.modules = {dir / "bad.ko.xz"};
    auto entries = build_rootfs(options);
    ASSERT_FALSE(entries);
    EXPECT_NE(entries.error().message.find("bad.ko.xz"), std::string::npos);
}

TEST(RootfsBuilder, AddsHostTreesAndInitScript) {
    testing::TempDir dir("rootfs-add");
    std::filesystem::create_directories(dir / "tree/sub");
    ASSERT_TRUE(write_file_atomically(dir / "tree/sub/f", "x"));
    ASSERT_TRUE(write_file_atomically(dir / "init.sh", "echo hi\n"));
    RootfsOptions options;
    options.additions = {{dir / "tree", "/opt/tree"}};
    options.init_script = dir / "init.sh";
    auto entries = build_rootfs(options);
    ASSERT_TRUE(entries) << entries.error().message;
    EXPECT_NE(find(*entries, "opt/tree/sub"), nullptr);
    EXPECT_EQ(find(*entries, "opt/tree/sub/f")->data, "x");
    EXPECT_EQ(find(*entries, "etc/init.d/rc.user")->data, "echo hi\n");
}

TEST(RootfsBuilder, ParsesAdditionsAndRejectsEscapes) {
    EXPECT_TRUE(parse_addition("/a/b:/c"));
    EXPECT_FALSE(parse_addition("nocolon"));
    EXPECT_FALSE(parse_addition(":/c"));
    RootfsOptions options;
    options.additions = {{"/etc/hostname", "../../escape"}};
    auto entries = build_rootfs(options);
    ASSERT_FALSE(entries);
    EXPECT_NE(entries.error().message.find(".."), std::string::npos);
}

TEST(RootfsBuilder, MissingBusyboxIsNamed) {
    RootfsOptions options;
    options.busybox = "/nonexistent/busybox";
    auto entries = build_rootfs(options);
    ASSERT_FALSE(entries);
    EXPECT_NE(entries.error().message.find("/nonexistent/busybox"), std::string::npos);
}

} // namespace
} // namespace kdive::lab
