// Architecture names, a release's architecture, and an image's or ELF file's architecture.
#include "lab/compression.hpp"
#include "lab/kernel_arch.hpp"
#include "support/atomic_file.hpp"
#include "temp_dir.hpp"

#include <gtest/gtest.h>

namespace kdive::lab {
namespace {

std::string arm64_image() {
    std::string data(0x1000, '\0');
    data.replace(0x38, 4, std::string("ARM\x64", 4));
    return data;
}

TEST(KernelArch, NamesBothWays) {
    EXPECT_EQ(arch_name(KernelArch::amd64), "amd64");
    EXPECT_EQ(arch_name(KernelArch::arm64), "arm64");
    EXPECT_EQ(parse_arch("amd64"), KernelArch::amd64);
    EXPECT_EQ(parse_arch("x86_64"), KernelArch::amd64);
    EXPECT_EQ(parse_arch("x86"), KernelArch::amd64);
    EXPECT_EQ(parse_arch("arm64"), KernelArch::arm64);
    EXPECT_EQ(parse_arch("aarch64"), KernelArch::arm64);
    EXPECT_FALSE(parse_arch("arm"));
    EXPECT_FALSE(parse_arch("ARM64"));
    EXPECT_FALSE(parse_arch(""));
    auto bad = parse_arch_option("riscv64");
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().message.find("riscv64"), std::string::npos);
    // Not given: nothing chosen, not an error.
    auto absent = parse_arch_option("");
    ASSERT_TRUE(absent);
    EXPECT_FALSE(*absent);
    EXPECT_EQ(parse_arch_option("aarch64").value(), KernelArch::arm64);
}

TEST(KernelArch, PerArchitectureFacts) {
    EXPECT_EQ(kbuild_arch(KernelArch::amd64), "x86");
    EXPECT_EQ(kbuild_arch(KernelArch::arm64), "arm64");
    EXPECT_EQ(kernel_image_target(KernelArch::amd64), "bzImage");
    EXPECT_EQ(kernel_image_target(KernelArch::arm64), "Image");
    EXPECT_EQ(qemu_program(KernelArch::arm64), "qemu-system-aarch64");
    EXPECT_EQ(qemu_package(KernelArch::arm64), "qemu-system-arm");
    EXPECT_EQ(qemu_program(KernelArch::amd64), "qemu-system-x86_64");
    EXPECT_EQ(qemu_package(KernelArch::amd64), "qemu-system-x86");
    EXPECT_EQ(serial_console(KernelArch::arm64), "ttyAMA0");
    EXPECT_EQ(serial_console(KernelArch::amd64), "ttyS0");
    // The host builds its own architecture natively and the other one with a cross compiler.
    EXPECT_EQ(cross_compile_prefix(host_arch()), "");
    const auto other = host_arch() == KernelArch::amd64 ? KernelArch::arm64 : KernelArch::amd64;
    EXPECT_EQ(cross_compile_prefix(other),
              other == KernelArch::arm64 ? "aarch64-linux-gnu-" : "x86_64-linux-gnu-");
}

TEST(KernelArch, ReleasesNameTheirArchitecture) {
    EXPECT_EQ(release_arch("6.1.0-50-cloud-arm64"), KernelArch::arm64);
    EXPECT_EQ(release_arch("6.12.57+deb13-cloud-arm64"), KernelArch::arm64);
    EXPECT_EQ(release_arch("6.12.57+deb13-arm64-16k"), KernelArch::arm64);
    EXPECT_EQ(release_arch("6.1.0-50-arm64"), KernelArch::arm64);
    EXPECT_EQ(release_arch("6.1.0-50-cloud-amd64"), KernelArch::amd64);
    EXPECT_EQ(release_arch("6.1.0-0.deb11.21-amd64"), KernelArch::amd64);
    // Only a whole dash-separated component counts.
    EXPECT_EQ(release_arch("6.1.0-50-notarm64"), KernelArch::amd64);
}

TEST(KernelArch, ElfMachine) {
    std::string header(64, '\0');
    header.replace(0, 4,
                   "\x7f"
                   "ELF");
    header[4] = 2; // ELFCLASS64
    header[5] = 1; // little-endian
    header[18] = static_cast<char>(183);
    EXPECT_EQ(elf_arch(header), KernelArch::arm64);
    header[18] = 62;
    EXPECT_EQ(elf_arch(header), KernelArch::amd64);
    header[18] = 40; // 32-bit ARM
    EXPECT_FALSE(elf_arch(header));
    header[18] = 62;
    header[4] = 1; // ELFCLASS32
    EXPECT_FALSE(elf_arch(header));
    EXPECT_FALSE(elf_arch("\x7f"
                          "ELF"));
}

TEST(KernelArch, ImageHeaders) {
    testing::TempDir dir("image-arch");
    std::string bzimage(0x400, '\0');
    bzimage.replace(0x202, 4, "HdrS");
    ASSERT_TRUE(write_file_atomically(dir / "bzImage", bzimage));
    ASSERT_TRUE(write_file_atomically(dir / "Image", arm64_image()));
    auto packed = compress(arm64_image(), Compression::Gzip);
    ASSERT_TRUE(packed);
    ASSERT_TRUE(write_file_atomically(dir / "vmlinuz", *packed));
    ASSERT_TRUE(write_file_atomically(dir / "other", std::string(0x400, 'x')));
    EXPECT_EQ(image_arch(dir / "bzImage"), KernelArch::amd64);
    EXPECT_EQ(image_arch(dir / "Image"), KernelArch::arm64);
    EXPECT_EQ(image_arch(dir / "vmlinuz"), KernelArch::arm64);
    EXPECT_FALSE(image_arch(dir / "other"));
    EXPECT_FALSE(image_arch(dir / "missing"));
}

TEST(Compression, GunzipWholeAndPrefix) {
    std::string data;
    for (int i = 0; i < 100000; ++i) {
        data += std::to_string(i);
    }
    auto packed = compress(data, Compression::Gzip);
    ASSERT_TRUE(packed);
    EXPECT_TRUE(is_gzip(*packed));
    EXPECT_FALSE(is_gzip(data));
    auto whole = gunzip(*packed, "data");
    ASSERT_TRUE(whole) << whole.error().message;
    EXPECT_EQ(*whole, data);
    auto head = gunzip(packed->substr(0, 200), "data", 100);
    ASSERT_TRUE(head) << head.error().message;
    EXPECT_EQ(*head, data.substr(0, 100));
    auto truncated = gunzip(packed->substr(0, packed->size() / 2), "data.gz");
    ASSERT_FALSE(truncated);
    EXPECT_NE(truncated.error().message.find("data.gz"), std::string::npos);
}

} // namespace
} // namespace kdive::lab
