// The name index over a whole Debian vmlinux: kdive's abbreviation-driven scan finds the same
// DIE for every name as libdw's generic DIE walk, on every test kernel.
#include "debuginfo/dwarf_index.hpp"
#include "debuginfo/elf_file.hpp"
#include "kernel_vmlinux.hpp"
#include "libdw_index.hpp"
#include "prerequisite.hpp"

#include <gtest/gtest.h>

namespace kdive {
namespace {

TEST(KernelDwarfIndex, ScanEqualsTheLibdwWalk) {
    const auto vmlinux = testing::test_vmlinux();
    if (!std::filesystem::exists(vmlinux)) {
        KDIVE_MISSING_PREREQUISITE() << vmlinux << " is missing";
    }
    auto file = debuginfo::ElfFile::open(vmlinux);
    ASSERT_TRUE(file) << file.error().message;
    auto scanned = debuginfo::DwarfIndex::build(**file, 2);
    ASSERT_TRUE(scanned) << scanned.error().message;
    const auto walked = testing::libdw_index(**file);
    ASSERT_TRUE(walked);
    EXPECT_GT(walked->size(), 100000u);
    EXPECT_EQ(scanned->size(), walked->size());
    EXPECT_TRUE(*scanned == *walked);
    // Names the first questions need: a variable, its struct, an enumerator, a function whose
    // definition is named only through its declaration.
    EXPECT_TRUE(scanned->find(debuginfo::DwarfNameKind::variable, "init_task"));
    EXPECT_TRUE(scanned->find(debuginfo::DwarfNameKind::struct_tag, "task_struct"));
    EXPECT_TRUE(scanned->find(debuginfo::DwarfNameKind::enumerator, "PIDTYPE_PID"));
    EXPECT_TRUE(scanned->find(debuginfo::DwarfNameKind::variable, "linux_banner"));
}

// While the index is built, lookups answered from the first units equal the whole index's
// answers; names beyond them wait for it.
TEST(KernelDwarfIndex, EarlyAnswersEqualTheWholeIndex) {
    const auto vmlinux = testing::test_vmlinux();
    if (!std::filesystem::exists(vmlinux)) {
        KDIVE_MISSING_PREREQUISITE() << vmlinux << " is missing";
    }
    auto file = debuginfo::ElfFile::open(vmlinux);
    ASSERT_TRUE(file) << file.error().message;
    auto whole = debuginfo::DwarfIndex::build(**file, 2);
    ASSERT_TRUE(whole) << whole.error().message;
    using Kind = debuginfo::DwarfNameKind;
    const std::vector<std::pair<Kind, std::string>> names{
        {Kind::struct_tag, "task_struct"},
        {Kind::struct_tag, "list_head"},
        {Kind::variable, "init_task"},
        {Kind::variable, "jiffies"},
        {Kind::variable, "linux_banner"},
        {Kind::enumerator, "PIDTYPE_PID"},
        {Kind::function, "start_kernel"},
        {Kind::function, "tcp_sendmsg"},
        {Kind::ordinary_type, "u64"},
        {Kind::union_tag, "thread_union"},
        {Kind::struct_tag, "no_such_struct_anywhere"}};
    debuginfo::PendingDwarfIndex pending(**file, 2, nullptr);
    for (const auto& [kind, name] : names) {
        EXPECT_EQ(pending.find(kind, name), whole->find(kind, name)) << name;
    }
    auto built = pending.wait();
    ASSERT_TRUE(built) << built.error().message;
    EXPECT_TRUE(**built == *whole);
}

} // namespace
} // namespace kdive
