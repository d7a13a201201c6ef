// main() of every test executable: gtest's, plus exit codes ctest can tell apart. A run where
// every selected test skipped exits 77 (SKIP_RETURN_CODE: shown as skipped, not passed); a
// filter that selects no test is a failure, not an empty success.
#include <cstdio>
#include <gtest/gtest.h>

namespace {

constexpr int all_skipped = 77;

} // namespace

int main(int argc, char** argv) {
    ::testing::InitGoogleTest(&argc, argv);
    const int failed = RUN_ALL_TESTS();
    if (failed != 0 || GTEST_FLAG_GET(list_tests)) {
        return failed;
    }
    const auto& unit = *::testing::UnitTest::GetInstance();
    if (unit.test_to_run_count() == 0) {
        std::fprintf(stderr, "no test matches the filter '%s'\n", GTEST_FLAG_GET(filter).c_str());
        return 1;
    }
    if (unit.skipped_test_count() == unit.test_to_run_count()) {
        return all_skipped;
    }
    return 0;
}
