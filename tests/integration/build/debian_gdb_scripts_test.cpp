// `kdive kernel gdb-scripts`: the lx-scripts of a fetched Debian kernel load in GDB against
// its vmlinux.
#include "build_support.hpp"
#include "gdb_reference.hpp"
#include "support/subprocess.hpp"

#include <filesystem>
#include <gtest/gtest.h>

namespace kdive::testing {
namespace {

TEST(DebianGdbScripts, LxCommandsLoadAgainstTheDebianVmlinux) {
    auto out = run_kdive({"kernel", "gdb-scripts", "debian-6.1-cloud"});
    ASSERT_TRUE(out) << out.error().message;
    auto script = last_line(*out);
    ASSERT_TRUE(script) << script.error().message;
    EXPECT_TRUE(script->ends_with("/vmlinux-gdb.py")) << *script;
    auto vmlinux = run_kdive({"kernel", "path", "debian-6.1-cloud"});
    ASSERT_TRUE(vmlinux) << vmlinux.error().message;
    auto dir = last_line(*vmlinux);
    ASSERT_TRUE(dir);
    RunOptions options;
    options.timeout = std::chrono::minutes(5);
    auto gdb =
        run_process(gdb_batch({"-ex", "file " + *dir + "/vmlinux", "-ex", "source " + *script,
                               "-ex", "help lx-ps", "-ex", "help function lx_current"}),
                    options);
    ASSERT_TRUE(gdb) << gdb.error().message;
    EXPECT_NE(gdb->out.find("Dump Linux tasks."), std::string::npos) << gdb->out << gdb->err;
    EXPECT_NE(gdb->out.find("Return current task."), std::string::npos) << gdb->out;
}

} // namespace
} // namespace kdive::testing
