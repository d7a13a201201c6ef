// A relocatable object (what a kernel module's .ko is) opened at the addresses its sections were
// loaded to: symbols, types and lines answer with those addresses.
#include "compiled_program.hpp"
#include "debuginfo/debug_info.hpp"

#include <gtest/gtest.h>

namespace kdive::debuginfo {
namespace {

constexpr std::uint64_t text_base = 0xffffffffc0001000;
constexpr std::uint64_t data_base = 0xffffffffc0003000;

class RelocatedObject : public ::testing::Test {
protected:
    void SetUp() override {
        std::string error;
        object_ = testing::compile_sample(dir_.path(), {"-c", "-g"}, &error);
        ASSERT_FALSE(object_.empty()) << error;
        // The symbols' offsets inside their sections, from the object as it is on disk.
        auto elf = ElfFile::open(object_);
        ASSERT_TRUE(elf) << elf.error().message;
        auto table = SymbolTable::load(**elf);
        ASSERT_TRUE(table) << table.error().message;
        for (const char* name : {"add", "main", "origin", "counters"})
            offsets_[name] = table->find(name)->address;
    }

    std::map<std::string, std::uint64_t, std::less<>> loaded() const {
        return {{".text", text_base}, {".data", data_base}, {".bss", 0xffffffffc0005000}};
    }

    testing::TempDir dir_{"relocated"};
    std::filesystem::path object_;
    std::map<std::string, std::uint64_t> offsets_;
};

TEST_F(RelocatedObject, SymbolsSitWhereTheirSectionsWereLoaded) {
    auto info = DebugInfo::open_relocated(object_, loaded());
    ASSERT_TRUE(info) << info.error().message;
    EXPECT_EQ((*info)->symbols().find("main")->address, text_base + offsets_["main"]);
    auto named = (*info)->symbols().lookup(text_base + offsets_["main"] + 2);
    ASSERT_TRUE(named);
    EXPECT_EQ(named->symbol->name, "main");
    EXPECT_EQ(named->offset, 2u);
    auto origin = (*info)->find_variable("origin");
    ASSERT_TRUE(origin) << origin.error().message;
    EXPECT_EQ(origin->address, data_base + offsets_["origin"]);
    ASSERT_NE(origin->type, nullptr) << "no DWARF type for origin";
    EXPECT_EQ(origin->section, ".data");
}

TEST_F(RelocatedObject, LineTableFollowsTheLoadAddress) {
    auto info = DebugInfo::open_relocated(object_, loaded());
    ASSERT_TRUE(info) << info.error().message;
    auto line = (*info)->source_line(text_base + offsets_["add"]);
    ASSERT_TRUE(line) << "no line for add at its load address";
    EXPECT_EQ(line->file, "sample.c");
    EXPECT_EQ(line->line, 30); // the prologue: add's opening brace
    EXPECT_FALSE((*info)->source_line(offsets_["add"] + 0x10));
}

TEST_F(RelocatedObject, UnloadedSectionsNameNothing) {
    std::map<std::string, std::uint64_t, std::less<>> text_only{{".text", text_base}};
    auto info = DebugInfo::open_relocated(object_, text_only);
    ASSERT_TRUE(info) << info.error().message;
    EXPECT_EQ((*info)->symbols().find("origin"), nullptr);
    EXPECT_NE((*info)->symbols().find("add"), nullptr);
}

TEST_F(RelocatedObject, RefusesLinkedImagesAndNothingLoaded) {
    auto none = DebugInfo::open_relocated(object_, {});
    ASSERT_FALSE(none);
    EXPECT_NE(none.error().message.find("none of its sections"), std::string::npos);
    std::string error;
    testing::TempDir other("linked");
    auto linked = testing::compile_sample(other.path(), {"-g"}, &error);
    ASSERT_FALSE(linked.empty()) << error;
    auto refused = DebugInfo::open_relocated(linked, loaded());
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.error().message.find("not a relocatable object"), std::string::npos);
}

} // namespace
} // namespace kdive::debuginfo
