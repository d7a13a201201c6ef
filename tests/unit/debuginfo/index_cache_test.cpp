// The DWARF index cache: reused when valid, rebuilt (never trusted) when stale or corrupt.
#include "compiled_program.hpp"
#include "debuginfo/debug_info.hpp"
#include "debuginfo/index_cache.hpp"
#include "support/atomic_file.hpp"

#include <gtest/gtest.h>

namespace kdive {
namespace {

using debuginfo::DebugInfo;
using debuginfo::DebugInfoOptions;
using debuginfo::DwarfNameKind;
using testing::TempDir;

class IndexCache : public ::testing::Test {
protected:
    void SetUp() override {
        binary_ = testing::compile_sample(dir_.path(), {"-g"});
        ASSERT_FALSE(binary_.empty());
        options_.cache_root = dir_ / "cache";
    }

    // Opens the sample, looks a DWARF-only name up, and returns the notes it produced.
    std::vector<std::string> open_and_query() {
        auto info = DebugInfo::open(binary_, options_);
        EXPECT_TRUE(info);
        const auto* index = (*info)->dwarf_index();
        EXPECT_NE(index, nullptr);
        EXPECT_TRUE(index->find(DwarfNameKind::struct_tag, "point"));
        EXPECT_TRUE(index->find(DwarfNameKind::variable, "origin"));
        EXPECT_TRUE(index->find(DwarfNameKind::enumerator, "BLUE"));
        build_id_ = (*info)->elf().build_id().value_or("");
        return (*info)->take_notes();
    }

    std::filesystem::path cache_file() const {
        return debuginfo::index_cache_path(options_.cache_root, build_id_);
    }

    TempDir dir_{"index"};
    std::filesystem::path binary_;
    DebugInfoOptions options_;
    std::string build_id_;
};

TEST_F(IndexCache, WrittenOnceAndReused) {
    EXPECT_TRUE(open_and_query().empty());
    ASSERT_TRUE(std::filesystem::exists(cache_file()));
    const auto written = std::filesystem::last_write_time(cache_file());
    EXPECT_TRUE(open_and_query().empty());
    EXPECT_EQ(std::filesystem::last_write_time(cache_file()), written);
}

TEST_F(IndexCache, CorruptPayloadIsRebuilt) {
    open_and_query();
    auto bytes = read_file(cache_file());
    ASSERT_TRUE(bytes);
    (*bytes)[bytes->size() - 3] ^= 0x55;
    ASSERT_TRUE(write_file_atomically(cache_file(), *bytes));
    auto notes = open_and_query();
    ASSERT_EQ(notes.size(), 1u);
    EXPECT_NE(notes[0].find("checksum"), std::string::npos) << notes[0];
    EXPECT_TRUE(open_and_query().empty()) << "the rebuilt cache is valid again";
}

TEST_F(IndexCache, TruncatedAndForeignFilesAreRejected) {
    open_and_query();
    auto bytes = read_file(cache_file());
    ASSERT_TRUE(bytes);
    const debuginfo::IndexKey key{build_id_, std::filesystem::file_size(binary_)};
    for (std::size_t keep : {std::size_t{0}, std::size_t{5}, std::size_t{30}, bytes->size() - 1}) {
        ASSERT_TRUE(write_file_atomically(cache_file(), bytes->substr(0, keep)));
        EXPECT_FALSE(debuginfo::load_index_cache(cache_file(), key)) << keep;
    }
    ASSERT_TRUE(write_file_atomically(cache_file(), *bytes));
    EXPECT_TRUE(debuginfo::load_index_cache(cache_file(), key));
    EXPECT_FALSE(debuginfo::load_index_cache(cache_file(), {build_id_ + "00", key.file_size}));
    EXPECT_FALSE(debuginfo::load_index_cache(cache_file(), {build_id_, key.file_size + 1}));
    auto notes = open_and_query();
    EXPECT_TRUE(notes.empty());
}

TEST_F(IndexCache, SerializedIndexRoundTrips) {
    auto info = DebugInfo::open(binary_, options_);
    ASSERT_TRUE(info);
    const auto* index = (*info)->dwarf_index();
    ASSERT_NE(index, nullptr);
    auto copy = debuginfo::DwarfIndex::deserialize(index->serialize());
    ASSERT_TRUE(copy);
    EXPECT_EQ(copy->size(), index->size());
    EXPECT_EQ(copy->find(DwarfNameKind::function, "add"),
              index->find(DwarfNameKind::function, "add"));
    EXPECT_FALSE(debuginfo::DwarfIndex::deserialize(index->serialize().substr(0, 20)));
}

} // namespace
} // namespace kdive
