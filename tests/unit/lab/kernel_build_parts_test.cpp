// Small parts of the build workflow: profiles parse, progress lines, error extraction, the
// source that matches a fetched kernel.
#include "lab/kconfig_file.hpp"
#include "lab/kconfig_profiles.hpp"
#include "lab/kernel_builder.hpp"
#include "lab/kernel_gdb_scripts.hpp"
#include "lab/kernel_source.hpp"
#include "lab/kernel_tree.hpp"
#include "temp_dir.hpp"

#include <cstdlib>
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
