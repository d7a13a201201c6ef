// Pipelines of real programs: data flows between stages and each exit code is reported.
#include "support/pipeline.hpp"

#include <gtest/gtest.h>

namespace kdive {
namespace {

TEST(Pipeline, ConnectsStages) {
    auto run = run_pipeline({{"printf", "kernel\\ndebug\\n"}, {"tr", "a-z", "A-Z"}, {"sort"}});
    ASSERT_TRUE(run) << run.error().message;
    EXPECT_TRUE(run->succeeded());
    EXPECT_EQ(run->out, "DEBUG\nKERNEL\n");
    EXPECT_EQ(run->exit_codes.size(), 3U);
}

TEST(Pipeline, ReportsTheFailingStageAndItsStderr) {
    auto run = run_pipeline({{"sh", "-c", "echo oops >&2; exit 3"}, {"cat"}});
    ASSERT_TRUE(run) << run.error().message;
    EXPECT_EQ(run->first_failure(), 0);
    EXPECT_EQ(run->exit_codes[0], 3);
    EXPECT_EQ(run->exit_codes[1], 0);
    EXPECT_EQ(run->err, "oops\n");
}

TEST(Pipeline, MissingProgramIsAnError) {
    auto run = run_pipeline({{"true"}, {"kdive-no-such-program"}});
    ASSERT_FALSE(run);
    EXPECT_NE(run.error().message.find("kdive-no-such-program"), std::string::npos);
}

} // namespace
} // namespace kdive
