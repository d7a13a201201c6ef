// The BusyBox rootfs: layout, device nodes, modules, additions.
#include "lab/compression.hpp"
#include "lab/kernel_arch.hpp"
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

// A static busybox of another architecture, reduced to what kdive reads: an ELF header naming
// the machine, the folder codes (applet_install_loc[]) and the sorted names (applet_names[]).
std::string foreign_busybox(const std::vector<std::pair<std::string, int>>& applets,
                            std::uint16_t machine) {
    std::string header(64, '\0');
    header.replace(0, 4,
                   "\x7f"
                   "ELF");
    header[4] = 2;
    header[5] = 1;
    header[18] = static_cast<char>(machine & 0xff);
    header[19] = static_cast<char>(machine >> 8);
    std::string codes((applets.size() + 1) / 2, '\0');
    std::string names;
    for (std::size_t i = 0; i < applets.size(); ++i) {
        codes[i / 2] = static_cast<char>(codes[i / 2] | (applets[i].second << (i % 2 ? 4 : 0)));
        names += applets[i].first + '\0';
    }
    // Other sorted strings and small bytes around the tables, as in a real binary.
    return header + std::string("\x05\x01\x02\x00\x03\x04", 6) + std::string(40, '\x01') +
           "BusyBox v1.35.0\0a\0b\0\0" + codes + std::string("\0", 1) + names +
           std::string("\0", 1) + std::string(16, '\x02') + "x\0y\0z\0\0";
}

const std::vector<std::pair<std::string, int>> kApplets{
    {"[", 3},    {"[[", 3},    {"ash", 1},    {"chroot", 4}, {"linuxrc", 0},
    {"mdev", 2}, {"mount", 1}, {"reboot", 2}, {"sh", 1},     {"umount", 1}};

TEST(BusyboxApplets, ReadFromTheBinarysOwnTables) {
    auto applets = parse_busybox_applets(foreign_busybox(kApplets, 183));
    ASSERT_TRUE(applets) << applets.error().message;
    EXPECT_EQ(*applets, (std::vector<std::string>{
                            "usr/bin/[", "usr/bin/[[", "bin/ash", "usr/sbin/chroot", "linuxrc",
                            "sbin/mdev", "bin/mount", "sbin/reboot", "bin/sh", "bin/umount"}));
    // An even count has no padding nibble.
    auto even = kApplets;
    even.pop_back();
    auto nine = parse_busybox_applets(foreign_busybox(even, 183));
    ASSERT_TRUE(nine) << nine.error().message;
    EXPECT_EQ(nine->size(), 9U);
}

TEST(BusyboxApplets, MissingTablesAreNamed) {
    auto no_names = parse_busybox_applets(std::string(4096, '\x01'));
    ASSERT_FALSE(no_names);
    EXPECT_NE(no_names.error().message.find("name table"), std::string::npos);
    // Names but no folder codes that put sh in /bin.
    std::string names_only = std::string(64, 'x') + std::string("\0ash\0mdev\0sh\0\0", 14);
    auto no_codes = parse_busybox_applets(names_only);
    ASSERT_FALSE(no_codes);
    EXPECT_NE(no_codes.error().message.find("folder table"), std::string::npos)
        << no_codes.error().message;
}

TEST(BusyboxApplets, HostBusyboxParsesAsItLists) {
    const auto busybox = default_busybox();
    if (!std::filesystem::is_regular_file(busybox)) {
        GTEST_SKIP() << busybox << " is not installed";
    }
    auto listing = run_checked({busybox.string(), "--list-full"});
    ASSERT_TRUE(listing) << listing.error().message;
    std::vector<std::string> listed;
    std::size_t pos = 0;
    while (pos < listing->out.size()) {
        auto end = listing->out.find('\n', pos);
        listed.push_back(listing->out.substr(pos, end - pos));
        pos = end == std::string::npos ? listing->out.size() : end + 1;
    }
    auto data = read_file(busybox);
    ASSERT_TRUE(data);
    auto parsed = parse_busybox_applets(*data);
    ASSERT_TRUE(parsed) << parsed.error().message;
    EXPECT_EQ(*parsed, listed);
}

TEST(RootfsBuilder, ForeignBusyboxIsReadNotRun) {
    testing::TempDir dir("rootfs-foreign");
    // The architecture the host does not run: executing it would fail.
    const std::uint16_t foreign = host_arch() == KernelArch::arm64 ? 62 : 183;
    ASSERT_TRUE(write_file_atomically(dir / "busybox", foreign_busybox(kApplets, foreign)));
    RootfsOptions options;
    options.busybox = dir / "busybox";
    auto entries = build_rootfs(options);
    ASSERT_TRUE(entries) << entries.error().message;
    for (const char* name : {"bin/sh", "sbin/mdev", "sbin/reboot", "usr/sbin/chroot"}) {
        const auto* link = find(*entries, name);
        ASSERT_NE(link, nullptr) << name;
        EXPECT_EQ(link->type, CpioType::Symlink);
        EXPECT_EQ(link->data, "/bin/busybox");
    }
    EXPECT_EQ(find(*entries, "bin/busybox")->data, foreign_busybox(kApplets, foreign));
}

// A module says its architecture through its compression; one the busybox cannot go with is
// refused, naming the module.
TEST(RootfsBuilder, AModuleOfAnotherArchitectureThanTheBusyboxIsNamed) {
    testing::TempDir dir("rootfs-arch");
    const std::uint16_t foreign = host_arch() == KernelArch::arm64 ? 62 : 183;
    const KernelArch foreign_arch =
        host_arch() == KernelArch::arm64 ? KernelArch::amd64 : KernelArch::arm64;
    const std::uint16_t native = elf_machine(host_arch());
    ASSERT_TRUE(write_file_atomically(dir / "busybox", foreign_busybox(kApplets, foreign)));
    ASSERT_TRUE(write_file_atomically(dir / "native.ko", foreign_busybox({}, native)));
    ASSERT_TRUE(write_file_atomically(dir / "foreign.ko", foreign_busybox({}, foreign)));
    ASSERT_TRUE(run_checked({"xz", "-k", "-f", (dir / "foreign.ko").string()}));

    auto arch = module_arch(dir / "foreign.ko.xz");
    ASSERT_TRUE(arch) << arch.error().message;
    EXPECT_EQ(*arch, foreign_arch);

    RootfsOptions options;
    options.busybox = dir / "busybox";
    options.modules = {dir / "foreign.ko.xz"};
    EXPECT_TRUE(build_rootfs(options));
    options.modules.push_back(dir / "native.ko");
    auto refused = build_rootfs(options);
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.error().message.find("native.ko is built for"), std::string::npos)
        << refused.error().message;
    EXPECT_NE(refused.error().message.find(std::string(arch_name(host_arch()))), std::string::npos)
        << refused.error().message;
}

} // namespace
} // namespace kdive::lab
