// The .config reader on the real Debian kernels' configs: an exact round trip, and the values
// every Debian kernel is built with.
#include "lab/kconfig_file.hpp"
#include "prerequisite.hpp"
#include "support/atomic_file.hpp"
#include "support/cache_dir.hpp"
#include "test_vm.hpp"

#include <filesystem>
#include <gtest/gtest.h>

namespace kdive::lab {
namespace {

TEST(DebianConfig, RoundTripsExactly) {
    const auto path = cache_dir() / "kernels" / testing::test_kernel() / "config";
    if (!std::filesystem::exists(path)) {
        KDIVE_MISSING_PREREQUISITE()
            << path << " is absent: run `kdive kernel fetch " << testing::test_kernel() << "`";
    }
    auto text = read_file(path);
    ASSERT_TRUE(text) << text.error().message;
    auto file = KconfigFile::read(path.string());
    ASSERT_TRUE(file) << file.error().message;
    EXPECT_EQ(file->text(), *text) << path;
    EXPECT_GT(file->settings().size(), 1000u) << path;
    EXPECT_EQ(file->value("64BIT"), "y");
    EXPECT_TRUE(file->value("CC_VERSION_TEXT")->starts_with("\""));
}

} // namespace
} // namespace kdive::lab
