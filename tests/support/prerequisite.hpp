// A test's missing prerequisite (GDB, a fetched kernel, a source tree): skipped on a developer's
// machine, a failure under CI=true, where everything the suite needs must be there.
#pragma once

#include <cstdlib>
#include <gtest/gtest.h>
#include <string_view>

namespace kdive::testing {

inline bool in_ci() {
    const char* ci = std::getenv("CI");
    return ci != nullptr && std::string_view(ci) == "true";
}

} // namespace kdive::testing

// Ends the test as GTEST_SKIP() does on a developer's machine, as GTEST_FAIL() under CI=true;
// the reason streams after it: KDIVE_MISSING_PREREQUISITE() << "gdb is not installed";
#define KDIVE_MISSING_PREREQUISITE()                                                               \
    return ::testing::internal::AssertHelper(                                                      \
               ::kdive::testing::in_ci() ? ::testing::TestPartResult::kFatalFailure                \
                                         : ::testing::TestPartResult::kSkip,                       \
               __FILE__, __LINE__,                                                                 \
               ::kdive::testing::in_ci() ? "a prerequisite is missing under CI=true" : "") =       \
               ::testing::Message()
