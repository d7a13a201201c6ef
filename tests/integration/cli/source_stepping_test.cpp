// Source-level stepping at start_kernel on every Debian kernel, against GDB on the same kernel.
#include "stepping_checks.hpp"
#include "test_vm.hpp"

#include <gtest/gtest.h>

namespace kdive::testing {
namespace {

TEST(SourceStepping, NextLocalsAndFinishAgreeWithGdb) {
    expect_stepping_matches_gdb(test_kernel());
}

} // namespace
} // namespace kdive::testing
