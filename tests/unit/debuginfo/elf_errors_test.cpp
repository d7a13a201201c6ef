// Corrupt, truncated and foreign files give clear errors instead of crashes.
#include "compiled_program.hpp"
#include "debuginfo/debug_info.hpp"

#include <fstream>
#include <gtest/gtest.h>

namespace kdive {
namespace {

using testing::TempDir;

void write(const std::filesystem::path& path, const std::string& bytes) {
    std::ofstream(path, std::ios::binary) << bytes;
}

TEST(ElfErrors, MissingFileIsNamed) {
    auto info = debuginfo::DebugInfo::open("/nonexistent/vmlinux");
    ASSERT_FALSE(info);
    EXPECT_NE(info.error().message.find("/nonexistent/vmlinux"), std::string::npos);
}

TEST(ElfErrors, NotAnElfFile) {
    TempDir dir("elf-garbage");
    write(dir / "garbage", "this is not an ELF file at all, just text\n");
    auto info = debuginfo::DebugInfo::open(dir / "garbage");
    ASSERT_FALSE(info);
    EXPECT_NE(info.error().message.find("not an ELF file"), std::string::npos)
        << info.error().message;
}

TEST(ElfErrors, EmptyFile) {
    TempDir dir("elf-empty");
    write(dir / "empty", "");
    EXPECT_FALSE(debuginfo::DebugInfo::open(dir / "empty"));
}

TEST(ElfErrors, TruncatedFileIsReported) {
    TempDir dir("elf-truncated");
    auto binary = testing::compile_sample(dir.path(), {"-g"});
    ASSERT_FALSE(binary.empty());
    // Keep the header but cut the file before its section headers and debug sections.
    const auto size = std::filesystem::file_size(binary);
    for (auto keep : {size / 2, size - 1, std::uintmax_t{64}, std::uintmax_t{10}}) {
        std::filesystem::copy_file(binary, dir / "cut",
                                   std::filesystem::copy_options::overwrite_existing);
        std::filesystem::resize_file(dir / "cut", keep);
        auto info = debuginfo::DebugInfo::open(dir / "cut");
        ASSERT_FALSE(info) << "kept " << keep << " bytes";
        EXPECT_NE(info.error().message.find("cut"), std::string::npos) << info.error().message;
    }
}

TEST(ElfErrors, CorruptBtfFallsBackToDwarf) {
    TempDir dir("elf-btf");
    auto binary = testing::compile_sample(dir.path(), {"-g"});
    ASSERT_FALSE(binary.empty());
    write(dir / "junk.btf", std::string(64, '\x5a'));
    auto added = run_process({"objcopy", "--add-section", ".BTF=" + (dir / "junk.btf").string(),
                              binary.string(), (dir / "with-btf").string()});
    ASSERT_TRUE(added && added->exit_code == 0);
    debuginfo::DebugInfoOptions options;
    options.cache_root = dir / "cache";
    auto info = debuginfo::DebugInfo::open(dir / "with-btf", options);
    ASSERT_TRUE(info) << info.error().message;
    EXPECT_FALSE((*info)->has_btf());
    auto notes = (*info)->take_notes();
    ASSERT_EQ(notes.size(), 1u);
    EXPECT_NE(notes[0].find(".BTF"), std::string::npos);
    EXPECT_NE((*info)->find_type("point", debuginfo::TypeTag::struct_tag), nullptr);
}

TEST(ElfErrors, StrippedFileKnowsOnlySymbols) {
    TempDir dir("elf-stripped");
    auto binary = testing::compile_sample(dir.path(), {"-g"});
    ASSERT_FALSE(binary.empty());
    auto stripped =
        run_process({"objcopy", "--strip-debug", binary.string(), (dir / "s").string()});
    ASSERT_TRUE(stripped && stripped->exit_code == 0);
    auto info = debuginfo::DebugInfo::open(dir / "s");
    ASSERT_TRUE(info);
    EXPECT_FALSE((*info)->has_dwarf());
    EXPECT_EQ((*info)->find_type("point", debuginfo::TypeTag::struct_tag), nullptr);
    auto origin = (*info)->find_variable("origin");
    ASSERT_TRUE(origin);
    EXPECT_EQ(origin->type, nullptr);
    EXPECT_FALSE((*info)->source_line(origin->address));
}

} // namespace
} // namespace kdive
