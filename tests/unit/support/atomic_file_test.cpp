// AtomicFile: nothing appears under the final name until commit.
#include "support/atomic_file.hpp"

#include <filesystem>
#include <gtest/gtest.h>

namespace kdive {
namespace {

std::filesystem::path fresh_dir(const char* name) {
    auto dir = std::filesystem::temp_directory_path() / ("kdive-test-" + std::string(name) + "-" +
                                                         std::to_string(getpid()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    return dir;
}

TEST(AtomicFile, CommitRenamesIntoPlace) {
    auto dir = fresh_dir("atomic");
    auto path = dir / "out.bin";
    ASSERT_TRUE(write_file_atomically(path, "hello"));
    auto content = read_file(path);
    ASSERT_TRUE(content);
    EXPECT_EQ(*content, "hello");
    EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir), {}), 1);
    std::filesystem::remove_all(dir);
}

TEST(AtomicFile, DroppedWithoutCommitLeavesNothing) {
    auto dir = fresh_dir("atomic-drop");
    {
        auto file = AtomicFile::create(dir / "out.bin");
        ASSERT_TRUE(file);
        ASSERT_TRUE(file->write("partial"));
    }
    EXPECT_TRUE(std::filesystem::is_empty(dir));
    std::filesystem::remove_all(dir);
}

TEST(AtomicFile, MissingDirectoryIsNamedInError) {
    auto result = write_file_atomically("/nonexistent-kdive-dir/out.bin", "x");
    ASSERT_FALSE(result);
    EXPECT_NE(result.error().message.find("/nonexistent-kdive-dir/out.bin"), std::string::npos);
}

} // namespace
} // namespace kdive
