// Small parts of the build workflow: profiles parse, progress lines, error extraction, the
// source that matches a fetched kernel.
#include "lab/kconfig_file.hpp"
#include "lab/kconfig_profiles.hpp"
#include "lab/kernel_builder.hpp"
#include "lab/kernel_gdb_scripts.hpp"
#include "lab/kernel_source.hpp"
#include "lab/kernel_tree.hpp"
#include "temp_dir.hpp"

#include <algorithm>
#include <cstdlib>
#include <fmt/format.h>
#include <fstream>
#include <gtest/gtest.h>

namespace kdive::lab {
namespace {

TEST(KconfigProfiles, EveryProfileIsAValidFragment) {
    for (const char* name : {"tiny", "debug"}) {
        auto profile = find_kconfig_profile(name);
        ASSERT_TRUE(profile) << name;
        for (int dwarf : {4, 5}) {
            auto fragment = KconfigFile::parse(kconfig_profile_text(*profile, dwarf), name);
            ASSERT_TRUE(fragment) << fragment.error().message;
            EXPECT_EQ(fragment->value(dwarf == 4 ? "DEBUG_INFO_DWARF4" : "DEBUG_INFO_DWARF5"), "y");
            EXPECT_EQ(fragment->value("GDB_SCRIPTS"), "y");
            EXPECT_EQ(fragment->value("RANDOMIZE_BASE"), "n");
        }
    }
    EXPECT_EQ(find_kconfig_profile("tiny")->base, "tinyconfig");
    EXPECT_FALSE(find_kconfig_profile("huge"));
}

TEST(KconfigProfiles, Arm64TinyBootsOnThePl011WithoutOrcOrAcpi) {
    auto tiny = find_kconfig_profile("tiny");
    ASSERT_TRUE(tiny);
    auto arm64 = KconfigFile::parse(kconfig_profile_text(*tiny, 5, KernelArch::arm64), "tiny");
    ASSERT_TRUE(arm64) << arm64.error().message;
    EXPECT_EQ(arm64->value("SERIAL_AMBA_PL011"), "y");
    EXPECT_EQ(arm64->value("SERIAL_AMBA_PL011_CONSOLE"), "y");
    EXPECT_EQ(arm64->value("VIRTIO_MMIO"), "y");
    EXPECT_EQ(arm64->value("DEBUG_INFO_DWARF5"), "y");
    EXPECT_EQ(arm64->value("RANDOMIZE_BASE"), "n");
    EXPECT_FALSE(arm64->value("UNWINDER_ORC"));
    EXPECT_FALSE(arm64->value("ACPI"));
    EXPECT_FALSE(arm64->value("SERIAL_8250"));
    auto debug = find_kconfig_profile("debug");
    ASSERT_TRUE(debug);
    auto arm64_debug =
        KconfigFile::parse(kconfig_profile_text(*debug, 4, KernelArch::arm64), "debug");
    ASSERT_TRUE(arm64_debug);
    EXPECT_FALSE(arm64_debug->value("UNWINDER_ORC"));
    EXPECT_EQ(arm64_debug->value("GDB_SCRIPTS"), "y");
    // x86-64's text is what it always was.
    EXPECT_EQ(kconfig_profile_text(*tiny, 5), kconfig_profile_text(*tiny, 5, KernelArch::amd64));
    auto x86 = KconfigFile::parse(kconfig_profile_text(*tiny, 5), "tiny");
    ASSERT_TRUE(x86);
    EXPECT_EQ(x86->value("UNWINDER_ORC"), "y");
    EXPECT_EQ(x86->value("SERIAL_8250_CONSOLE"), "y");
}

TEST(KernelTree, ArchitectureFromTheOptionTheConfigOrTheHost) {
    testing::TempDir dir("tree-arch");
    for (const char* name : {"Makefile", "Kconfig"}) {
        std::ofstream(dir / name) << "VERSION = 6\nPATCHLEVEL = 1\n";
    }
    const auto other = host_arch() == KernelArch::amd64 ? KernelArch::arm64 : KernelArch::amd64;
    const char* arch_env = std::getenv("ARCH");
    if (arch_env == nullptr) {
        auto native = KernelTree::open(dir.path(), dir / "native");
        ASSERT_TRUE(native) << native.error().message;
        EXPECT_EQ(native->arch, host_arch());
        // Nothing about the architecture on a native build's command line.
        for (const auto& word : native->make({"olddefconfig"})) {
            EXPECT_FALSE(word.starts_with("ARCH=")) << word;
            EXPECT_FALSE(word.starts_with("CROSS_COMPILE=")) << word;
        }
        EXPECT_TRUE(native->check_toolchain());
    }
    // Asked for.
    auto arm64 = KernelTree::open(dir.path(), dir / "arm", KernelArch::arm64);
    ASSERT_TRUE(arm64) << arm64.error().message;
    EXPECT_EQ(arm64->arch, KernelArch::arm64);
    EXPECT_EQ(arm64->image(), dir / "arm/arch/arm64/boot/Image");
    // From the .config the folder was configured with.
    std::filesystem::create_directories(dir / "cfg");
    std::ofstream(dir / "cfg/.config") << "CONFIG_ARM64=y\nCONFIG_64BIT=y\n";
    auto configured = KernelTree::open(dir.path(), dir / "cfg");
    ASSERT_TRUE(configured) << configured.error().message;
    EXPECT_EQ(configured->arch, KernelArch::arm64);
    EXPECT_EQ(config_arch(dir / "cfg/.config"), KernelArch::arm64);
    auto targets = build_targets(*configured);
    ASSERT_TRUE(targets) << targets.error().message;
    EXPECT_EQ(*targets, std::vector<std::string>{"Image"});
    std::ofstream(dir / "cfg/.config") << "CONFIG_X86_64=y\nCONFIG_64BIT=y\n";
    EXPECT_EQ(config_arch(dir / "cfg/.config"), KernelArch::amd64);
    EXPECT_FALSE(config_arch(dir / "missing/.config"));
    auto x86 = KernelTree::open(dir.path(), dir / "x86", KernelArch::amd64);
    ASSERT_TRUE(x86);
    EXPECT_EQ(x86->image(), dir / "x86/arch/x86/boot/bzImage");

    // Another architecture than the host's is cross-built.
    auto cross = KernelTree::open(dir.path(), dir / "cross", other);
    ASSERT_TRUE(cross);
    const auto argv = cross->make({"-j2", "Image"});
    auto has = [&argv](const std::string& word) {
        return std::find(argv.begin(), argv.end(), word) != argv.end();
    };
    EXPECT_TRUE(has(fmt::format("ARCH={}", kbuild_arch(other))));
    if (std::getenv("CROSS_COMPILE") == nullptr) {
        EXPECT_TRUE(has(fmt::format("CROSS_COMPILE={}", cross_compile_prefix(other))));
    }
    EXPECT_EQ(argv.back(), "Image");
}

TEST(KernelTree, RefusesFoldersKbuildCannotBuildIn) {
    testing::TempDir dir("tree with space");
    for (const char* name : {"Makefile", "Kconfig"}) {
        std::ofstream(dir / name) << "VERSION = 6\nPATCHLEVEL = 1\n";
    }
    auto tree = KernelTree::open(dir.path(), {});
    ASSERT_FALSE(tree);
    EXPECT_NE(tree.error().message.find("space or a colon"), std::string::npos);
    EXPECT_NE(tree.error().message.find(dir.path().string()), std::string::npos);

    testing::TempDir plain("tree");
    for (const char* name : {"Makefile", "Kconfig"}) {
        std::ofstream(plain / name) << "VERSION = 6\nPATCHLEVEL = 1\n";
    }
    EXPECT_TRUE(KernelTree::open(plain.path(), {}));
    auto out = KernelTree::open(plain.path(), plain / "out:1");
    ASSERT_FALSE(out);
    EXPECT_NE(out.error().message.find("output folder"), std::string::npos);
}

TEST(KernelBuilder, CountsCompiledFilesFromKbuildOutput) {
    EXPECT_TRUE(is_compile_line("  CC      kernel/fork.o"));
    EXPECT_TRUE(is_compile_line("  AS      arch/x86/entry/entry_64.o"));
    EXPECT_TRUE(is_compile_line("  CC [M]  fs/ext4/inode.o"));
    EXPECT_FALSE(is_compile_line("  LD      vmlinux.o"));
    EXPECT_FALSE(is_compile_line("  HOSTCC  scripts/basic/fixdep"));
}

TEST(KernelBuilder, ErrorsComeFromTheLogsEnd) {
    std::string log = "  CC      a.o\n"
                      "kernel/fork.c:12:3: error: expected ';' before '}' token\n"
                      "make[3]: *** [scripts/Makefile.build:250: kernel/fork.o] Error 1\n"
                      "make[1]: Leaving directory '/src'\n";
    auto errors = build_errors(log, 10);
    ASSERT_EQ(errors.size(), 2u);
    EXPECT_NE(errors[0].find("error: expected"), std::string::npos);
    EXPECT_EQ(build_errors(log, 1).size(), 1u);
}

TEST(KernelSources, ReleaseFindsItsSeries) {
    EXPECT_EQ(KernelSources::for_release("6.1.0-50-cloud-amd64")->name, "debian-6.1");
    EXPECT_EQ(KernelSources::for_release("6.12.117+deb13-cloud-amd64")->name, "debian-6.12");
    EXPECT_FALSE(KernelSources::for_release("5.10.0-30-cloud-amd64"));
    EXPECT_FALSE(KernelSources::for_release("garbage"));
    EXPECT_FALSE(KernelSources::find("debian-4.19"));
}

TEST(KernelGdbScripts, FoundBesideTheVmlinuxOrPreparedForAFetchedKernel) {
    namespace fs = std::filesystem;
    kdive::testing::TempDir cache("gdbscripts");
    const char* previous = std::getenv("KDIVE_CACHE");
    std::string saved = previous ? previous : "";
    setenv("KDIVE_CACHE", cache.path().c_str(), 1);
    auto touch = [](const fs::path& path) {
        fs::create_directories(path.parent_path());
        std::ofstream(path) << "x";
    };
    fs::path build = cache.path() / "build";
    touch(build / "vmlinux");
    touch(build / "vmlinux-gdb.py");
    EXPECT_EQ(find_gdb_scripts(build / "vmlinux"), build / "vmlinux-gdb.py");

    fs::path fetched = cache.path() / "kernels" / "debian-6.1-cloud" / "vmlinux";
    touch(fetched);
    EXPECT_EQ(find_gdb_scripts(fetched), std::nullopt); // not prepared yet
    fs::path prepared = cache.path() / "gdb-scripts" / "debian-6.1-cloud" / "vmlinux-gdb.py";
    touch(prepared);
    EXPECT_EQ(find_gdb_scripts(fetched), prepared);
    EXPECT_EQ(cached_gdb_scripts("debian-6.1-cloud"), prepared);

    if (previous) {
        setenv("KDIVE_CACHE", saved.c_str(), 1);
    } else {
        unsetenv("KDIVE_CACHE");
    }
}

} // namespace
} // namespace kdive::lab
