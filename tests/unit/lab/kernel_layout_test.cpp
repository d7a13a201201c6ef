// Building the fixed kernel folder from both Debian package layouts.
#include "lab/compression.hpp"
#include "lab/kernel_layout.hpp"
#include "support/atomic_file.hpp"
#include "temp_dir.hpp"

#include <gtest/gtest.h>

namespace kdive::lab {
namespace {

namespace fs = std::filesystem;

std::string bzimage_bytes() {
    std::string data(0x400, '\0');
    data.replace(0x202, 4, "HdrS");
    return data;
}

std::string elf_bytes() {
    return std::string("\x7f"
                       "ELF",
                       4) +
           std::string(60, '\1');
}

std::string real_system_map() {
    std::string text;
    while (text.size() < 10000) {
        text += "ffffffff81000000 T _text\n";
    }
    return text;
}

const std::string kPlaceholderMap = "ffffffffffffffff B The real System.map is in the "
                                    "linux-image-<version>-dbg package\n";

void put(const fs::path& file, const std::string& bytes) {
    fs::create_directories(file.parent_path());
    ASSERT_TRUE(write_file_atomically(file, bytes));
}

void link(const fs::path& at, const fs::path& target) {
    fs::create_directories(at.parent_path());
    fs::create_symlink(target, at);
}

void expect_layout(const fs::path& out) {
    EXPECT_EQ(*read_file(out / "bzImage"), bzimage_bytes());
    EXPECT_FALSE(fs::is_symlink(out / "vmlinux"));
    EXPECT_EQ(*read_file(out / "vmlinux"), elf_bytes());
    EXPECT_EQ(*read_file(out / "System.map"), real_system_map());
    EXPECT_EQ(*read_file(out / "config"), "CONFIG_X=y\n");
    EXPECT_TRUE(fs::exists(out / "modules" / "modules.order"));
    EXPECT_FALSE(fs::exists(out / "modules" / "System.map"));
    EXPECT_FALSE(fs::exists(out / "modules" / "vmlinuz"));
    EXPECT_FALSE(fs::exists(out / "modules" / "config"));
    EXPECT_TRUE(fs::exists(out / "modules-dbg" / "kernel" / "fs" / "ext4.ko"));
    EXPECT_FALSE(fs::exists(fs::symlink_status(out / "modules-dbg" / "vmlinux")));
    EXPECT_FALSE(fs::exists(out / "modules-dbg" / "System.map"));
}

TEST(KernelLayout, BootFolderLayoutUpTo6x) {
    testing::TempDir dir("layout-6x");
    const std::string r = "6.1.0-50-cloud-amd64";
    fs::path root = dir / "root";
    put(root / "boot" / ("vmlinuz-" + r), bzimage_bytes());
    put(root / "boot" / ("config-" + r), "CONFIG_X=y\n");
    put(root / "boot" / ("System.map-" + r), kPlaceholderMap);
    put(root / "lib/modules" / r / "modules.order", "kernel/fs/ext4.ko\n");
    put(root / "lib/modules" / r / "kernel/fs/ext4.ko", "module");
    put(root / "usr/lib/debug/boot" / ("vmlinux-" + r), elf_bytes());
    put(root / "usr/lib/debug/boot" / ("System.map-" + r), real_system_map());
    put(root / "usr/lib/debug/lib/modules" / r / "kernel/fs/ext4.ko", "debug module");
    link(root / "usr/lib/debug/lib/modules" / r / "vmlinux", "../../../boot/vmlinux-" + r);

    auto done = assemble_kernel_layout(root, r, dir / "out");
    ASSERT_TRUE(done) << done.error().message;
    expect_layout(dir / "out");
    EXPECT_EQ(*read_file(dir / "out" / "modules" / "kernel/fs/ext4.ko"), "module");
}

TEST(KernelLayout, SplitUsrLayoutOf7x) {
    testing::TempDir dir("layout-7x");
    const std::string r = "7.2.13+deb14-cloud-amd64";
    fs::path root = dir / "root";
    fs::path mods = root / "usr/lib/modules" / r;
    put(mods / "vmlinuz", bzimage_bytes());
    put(mods / "config", "CONFIG_X=y\n");
    put(mods / "System.map", kPlaceholderMap);
    put(mods / "modules.order", "kernel/fs/ext4.ko.xz\n");
    put(mods / "kernel/fs/ext4.ko.xz", "xz module");
    fs::path dbg = root / "usr/lib/debug/lib/modules" / r;
    put(dbg / "vmlinux", elf_bytes());
    put(dbg / "System.map", real_system_map());
    put(dbg / "kernel/fs/ext4.ko", "debug module");
    link(root / "usr/lib/debug/boot" / ("vmlinux-" + r), "../lib/modules/" + r + "/vmlinux");

    auto done = assemble_kernel_layout(root, r, dir / "out");
    ASSERT_TRUE(done) << done.error().message;
    expect_layout(dir / "out");
    EXPECT_TRUE(fs::exists(dir / "out" / "modules" / "kernel/fs/ext4.ko.xz"));
}

TEST(KernelLayout, OnlyAPlaceholderSystemMapIsAnError) {
    testing::TempDir dir("layout-nomap");
    const std::string r = "5.10.0-32-cloud-amd64";
    fs::path root = dir / "root";
    put(root / "boot" / ("vmlinuz-" + r), bzimage_bytes());
    put(root / "boot" / ("config-" + r), "CONFIG_X=y\n");
    put(root / "boot" / ("System.map-" + r), kPlaceholderMap);
    put(root / "lib/modules" / r / "modules.order", "");
    put(root / "usr/lib/debug/boot" / ("vmlinux-" + r), elf_bytes());
    auto done = assemble_kernel_layout(root, r, dir / "out");
    ASSERT_FALSE(done);
    EXPECT_NE(done.error().message.find("System.map"), std::string::npos);
}

TEST(KernelLayout, LinksOutOfThePackageRootAreNotFollowed) {
    testing::TempDir dir("layout-escape");
    const std::string r = "6.1.0-50-cloud-amd64";
    fs::path root = dir / "root";
    put(root / "boot" / ("vmlinuz-" + r), bzimage_bytes());
    put(dir / "outside-vmlinux", elf_bytes());
    link(root / "usr/lib/debug/boot" / ("vmlinux-" + r), "../../../../../outside-vmlinux");
    auto done = assemble_kernel_layout(root, r, dir / "out");
    ASSERT_FALSE(done);
    EXPECT_NE(done.error().message.find("vmlinux"), std::string::npos);
}

TEST(KernelLayout, NotABzImageIsAnError) {
    testing::TempDir dir("layout-bad");
    const std::string r = "6.1.0-50-cloud-amd64";
    put(dir / "root" / "boot" / ("vmlinuz-" + r), "tiny");
    auto done = assemble_kernel_layout(dir / "root", r, dir / "out");
    ASSERT_FALSE(done);
    EXPECT_NE(done.error().message.find("bzImage"), std::string::npos);
}

std::string arm64_image_bytes() {
    std::string data(0x10000, '\0');
    data.replace(0x38, 4, std::string("ARM\x64", 4));
    return data;
}

TEST(KernelLayout, Arm64VmlinuzIsInflatedToImage) {
    testing::TempDir dir("layout-arm64");
    const std::string r = "6.1.0-50-cloud-arm64";
    fs::path root = dir / "root";
    auto packed = compress(arm64_image_bytes(), Compression::Gzip);
    ASSERT_TRUE(packed);
    put(root / "boot" / ("vmlinuz-" + r), *packed);
    put(root / "boot" / ("config-" + r), "CONFIG_X=y\n");
    put(root / "lib/modules" / r / "modules.order", "kernel/fs/ext4.ko\n");
    put(root / "usr/lib/debug/boot" / ("vmlinux-" + r), elf_bytes());
    put(root / "usr/lib/debug/boot" / ("System.map-" + r), real_system_map());
    auto done = assemble_kernel_layout(root, r, dir / "out", KernelArch::arm64);
    ASSERT_TRUE(done) << done.error().message;
    EXPECT_EQ(*read_file(dir / "out" / "Image"), arm64_image_bytes());
    EXPECT_FALSE(fs::exists(dir / "out" / "bzImage"));
    EXPECT_EQ(kernel_image_file(KernelArch::arm64), "Image");
    EXPECT_EQ(kernel_image_file(KernelArch::amd64), "bzImage");
}

TEST(KernelLayout, Arm64NeedsAnArm64Image) {
    testing::TempDir dir("layout-arm64-bad");
    const std::string r = "6.1.0-50-cloud-arm64";
    // An x86 bzImage is not one, compressed or not.
    put(dir / "root" / "boot" / ("vmlinuz-" + r), bzimage_bytes());
    auto plain = assemble_kernel_layout(dir / "root", r, dir / "out", KernelArch::arm64);
    ASSERT_FALSE(plain);
    EXPECT_NE(plain.error().message.find("arm64 Image"), std::string::npos);
    auto packed = compress(bzimage_bytes(), Compression::Gzip);
    ASSERT_TRUE(packed);
    put(dir / "root" / "boot" / ("vmlinuz-" + r), *packed);
    auto inflated = assemble_kernel_layout(dir / "root", r, dir / "out", KernelArch::arm64);
    ASSERT_FALSE(inflated);
    EXPECT_NE(inflated.error().message.find("arm64 Image"), std::string::npos);
}

TEST(KernelLayout, MembersCoverBothLayouts) {
    auto members = kernel_layout_members("7.2.13+deb14-cloud-amd64");
    auto has = [&](const std::string& m) {
        return std::find(members.begin(), members.end(), m) != members.end();
    };
    EXPECT_TRUE(has("./boot"));
    EXPECT_TRUE(has("./lib/modules/7.2.13+deb14-cloud-amd64"));
    EXPECT_TRUE(has("./usr/lib/modules/7.2.13+deb14-cloud-amd64"));
    EXPECT_TRUE(has("./usr/lib/debug/lib/modules/7.2.13+deb14-cloud-amd64"));
}

} // namespace
} // namespace kdive::lab
