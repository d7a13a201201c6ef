// Source lines at a stop and `list`, through the paths a Debian kernel's debug info names
// ("init/main.c", "/build/reproducible-path/linux-X/arch/x86/kernel/head_64.S"): a source
// directory the user sets, GDB's substitute-path, and bare `list` going on from the stop.
#include "support/atomic_file.hpp"
#include "temp_dir.hpp"
#include "test_vm.hpp"

#include <filesystem>
#include <gtest/gtest.h>
#include <regex>
#include <string>

namespace kdive::testing {
namespace {

// A stand-in source file whose line N reads "<tag><N>": every listed line names itself.
void write_numbered(const std::filesystem::path& file, const std::string& tag) {
    std::filesystem::create_directories(file.parent_path());
    std::string text;
    for (int n = 1; n <= 3000; ++n) {
        text += tag + std::to_string(n) + "\n";
    }
    ASSERT_TRUE(write_file_atomically(file, text));
}

std::string row(int line, const std::string& tag) {
    return "\n" + std::to_string(line) + "\t" + tag + std::to_string(line) + "\n";
}

TEST(SourceListing, StopsFramesAndListFollowTheSourceDirectoryAndSubstitutions) {
    TempDir tree("source-tree");
    TempDir other("source-other");
    write_numbered(tree.path() / "init" / "main.c", "L");
    write_numbered(tree.path() / "arch" / "x86" / "kernel" / "head_64.S", "H");
    write_numbered(tree.path() / "arch" / "x86" / "kernel" / "head64.c", "H");
    write_numbered(other.path() / "main.c", "S");
    auto out = run_kdive({"up",          "--kernel",
                          test_kernel(), "--batch",
                          "-ex",         "directory " + tree.path().string(),
                          "-ex",         "frame",
                          "-ex",         "list",
                          "-ex",         "list",
                          "-ex",         "up",
                          "-ex",         "set substitute-path init " + other.path().string(),
                          "-ex",         "show substitute-path",
                          "-ex",         "list start_kernel"});
    ASSERT_TRUE(out) << out.error().message;
    std::smatch match;
    ASSERT_TRUE(
        std::regex_search(*out, match, std::regex(R"(start_kernel \(\) at init/main\.c:(\d+))")))
        << *out;
    const int line = std::stoi(match[1]);
    // The stop's frame shows its line from the directory, as GDB prints it.
    EXPECT_NE(out->find(row(line, "L")), std::string::npos) << *out;
    // list centres on it (line - 5 .. line + 4), the next list goes on for ten lines.
    EXPECT_NE(out->find(row(line - 5, "L")), std::string::npos) << *out;
    EXPECT_NE(out->find(row(line + 4, "L") + std::to_string(line + 5)), std::string::npos) << *out;
    EXPECT_NE(out->find(row(line + 14, "L")), std::string::npos) << *out;
    EXPECT_EQ(out->find(row(line + 15, "L")), std::string::npos) << *out;
    // The caller: head_64.S under an absolute build path (found under the directory once its
    // build prefix is dropped) on 5.10 and 6.1, head64.c on later kernels.
    ASSERT_TRUE(std::regex_search(
        *out, match, std::regex(R"(#1 .* at \S*arch/x86/kernel/head_?64\.[Sc]:(\d+)\n)")))
        << *out;
    EXPECT_NE(out->find(row(std::stoi(match[1]), "H")), std::string::npos) << *out;
    // A substitution comes before the directory.
    EXPECT_NE(out->find("`init' -> `" + other.path().string() + "'."), std::string::npos) << *out;
    EXPECT_NE(out->find(row(line, "S")), std::string::npos) << *out;
}

TEST(SourceListing, AMissingFileSaysWhereKdiveLooked) {
    auto out = run_kdive({"up", "--kernel", test_kernel(), "--batch", "-ex",
                          "directory /nonexistent-kdive-source", "-ex", "list start_kernel"});
    ASSERT_TRUE(out) << out.error().message;
    EXPECT_NE(out->find("init/main.c: No such file or directory."), std::string::npos) << *out;
    EXPECT_NE(out->find("/nonexistent-kdive-source"), std::string::npos) << *out;
}

} // namespace
} // namespace kdive::testing
