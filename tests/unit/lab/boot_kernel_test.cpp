// Which vmlinux goes with a bzImage given by path: beside it, or atop a kernel build folder.
#include "lab/boot_kernel.hpp"
#include "temp_dir.hpp"

#include <fstream>
#include <gtest/gtest.h>

namespace kdive::lab {
namespace {

void touch(const std::filesystem::path& path) {
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path) << "x";
}

TEST(BootKernel, VmlinuxBesideTheImageOrAtopTheBuildFolder) {
    testing::TempDir dir("boot-kernel");
    touch(dir.path() / "flat/bzImage");
    touch(dir.path() / "flat/vmlinux");
    auto flat = resolve_boot_kernel((dir.path() / "flat/bzImage").string());
    ASSERT_TRUE(flat) << flat.error().message;
    EXPECT_EQ(flat->vmlinux, dir.path() / "flat/vmlinux");

    touch(dir.path() / "out/arch/x86/boot/bzImage");
    touch(dir.path() / "out/vmlinux");
    auto built = resolve_boot_kernel((dir.path() / "out/arch/x86/boot/bzImage").string());
    ASSERT_TRUE(built) << built.error().message;
    EXPECT_EQ(built->vmlinux, dir.path() / "out/vmlinux");

    // Three levels up is only looked at in the arch/x86/boot layout.
    touch(dir.path() / "a/b/c/bzImage");
    touch(dir.path() / "vmlinux");
    auto other = resolve_boot_kernel((dir.path() / "a/b/c/bzImage").string());
    ASSERT_TRUE(other) << other.error().message;
    EXPECT_TRUE(other->vmlinux.empty());

    // An arm64 build folder, told apart by the Image's header.
    std::string image(0x100, '\0');
    image.replace(0x38, 4, std::string("ARM\x64", 4));
    std::filesystem::create_directories(dir.path() / "arm/arch/arm64/boot");
    std::ofstream(dir.path() / "arm/arch/arm64/boot/Image", std::ios::binary) << image;
    touch(dir.path() / "arm/vmlinux");
    auto arm = resolve_boot_kernel((dir.path() / "arm/arch/arm64/boot/Image").string());
    ASSERT_TRUE(arm) << arm.error().message;
    EXPECT_EQ(arm->vmlinux, dir.path() / "arm/vmlinux");
    EXPECT_EQ(arm->arch, KernelArch::arm64);
    EXPECT_EQ(built->arch, KernelArch::amd64);

    auto missing = resolve_boot_kernel((dir.path() / "none/bzImage").string());
    ASSERT_FALSE(missing);
    EXPECT_NE(missing.error().message.find("none/bzImage"), std::string::npos);
}

} // namespace
} // namespace kdive::lab
