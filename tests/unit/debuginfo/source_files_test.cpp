// SourceFiles: the debug info's file names mapped to the host, as Debian's kernels name them.
#include "debuginfo/source_files.hpp"
#include "support/atomic_file.hpp"
#include "temp_dir.hpp"

#include <gtest/gtest.h>

namespace kdive::debuginfo {
namespace {

using kdive::testing::TempDir;

void touch(const std::filesystem::path& file, const std::string& text = "one\ntwo\r\n") {
    std::filesystem::create_directories(file.parent_path());
    ASSERT_TRUE(write_file_atomically(file, text));
}

TEST(SourceFiles, RelativeAndBuildPathsAreFoundUnderTheDirectory) {
    TempDir tree("tree");
    touch(tree.path() / "init/main.c");
    touch(tree.path() / "arch/x86/kernel/head_64.S");
    SourceFiles files;
    EXPECT_FALSE(files.find("init/main.c"));
    files.set_directory(tree.path());
    EXPECT_EQ(files.find("init/main.c"), tree.path() / "init/main.c");
    EXPECT_EQ(files.find("/build/reproducible-path/linux-6.1.176/arch/x86/kernel/head_64.S"),
              tree.path() / "arch/x86/kernel/head_64.S");
    EXPECT_EQ(files.find("main.c", "/build/reproducible-path/linux-6.1.176/init"),
              tree.path() / "init/main.c");
    EXPECT_FALSE(files.find("init/absent.c"));
    EXPECT_FALSE(files.find(""));
}

TEST(SourceFiles, SubstitutionsComeFirstAndMatchWholeComponents) {
    TempDir tree("tree");
    TempDir other("other");
    touch(tree.path() / "init/main.c");
    touch(other.path() / "main.c");
    touch(other.path() / "x/main.c");
    SourceFiles files;
    files.set_directory(tree.path());
    files.substitute("init/", other.path().string());
    EXPECT_EQ(files.find("init/main.c"), std::filesystem::path(other.path().string() + "/main.c"));
    files.substitute("init", other.path().string() + "/x"); // replaces the rule for "init"
    EXPECT_EQ(files.substitutions().size(), 1u);
    EXPECT_EQ(files.find("init/main.c"),
              std::filesystem::path(other.path().string() + "/x/main.c"));
    files.substitute("ini", "/nonexistent"); // not a whole component of init/main.c
    EXPECT_EQ(files.find("init/main.c"),
              std::filesystem::path(other.path().string() + "/x/main.c"));
}

TEST(SourceFiles, LinesAreReadOnceWithoutCarriageReturns) {
    TempDir tree("tree");
    touch(tree.path() / "a.c");
    SourceFiles files;
    const auto* lines = files.lines(tree.path() / "a.c");
    ASSERT_NE(lines, nullptr);
    EXPECT_EQ(*lines, (std::vector<std::string>{"one", "two"}));
    EXPECT_EQ(files.lines(tree.path() / "a.c"), lines);
    EXPECT_EQ(files.lines(tree.path() / "missing.c"), nullptr);
}

} // namespace
} // namespace kdive::debuginfo
