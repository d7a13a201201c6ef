// run_process: output capture, exit codes, timeouts and environment overrides.
#include "support/subprocess.hpp"

#include <gtest/gtest.h>

namespace kdive {
namespace {

TEST(Subprocess, CapturesOutputAndExitCode) {
    auto r = run_process({"sh", "-c", "echo out; echo err >&2; exit 3"});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->exit_code, 3);
    EXPECT_EQ(r->out, "out\n");
    EXPECT_EQ(r->err, "err\n");
    auto checked = run_checked({"sh", "-c", "echo boom >&2; exit 1"});
    ASSERT_FALSE(checked);
    EXPECT_NE(checked.error().message.find("boom"), std::string::npos);
}

TEST(Subprocess, TimesOutAndNamesTheCommand) {
    RunOptions options;
    options.timeout = std::chrono::milliseconds(200);
    auto r = run_process({"sleep", "10"}, options);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("sleep 10"), std::string::npos);
}

TEST(Subprocess, ExtraEnvironmentOverridesInherited) {
    setenv("KDIVE_SUBPROCESS_TEST", "inherited", 1);
    RunOptions options;
    options.env = {"KDIVE_SUBPROCESS_TEST=override"};
    auto r = run_process({"sh", "-c", "echo $KDIVE_SUBPROCESS_TEST"}, options);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->out, "override\n");
    unsetenv("KDIVE_SUBPROCESS_TEST");
}

TEST(Subprocess, MissingProgramIsNamed) {
    auto r = run_process({"kdive-no-such-program"});
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("kdive-no-such-program"), std::string::npos);
}

} // namespace
} // namespace kdive
