// The GDB command line kdive hands a session over with.
#include "cli/gdb_handoff.hpp"
#include "cli/gdb_relay.hpp"
#include "rsp/packet_codec.hpp"
#include "support/atomic_file.hpp"
#include "temp_dir.hpp"

#include <algorithm>
#include <fstream>
#include <gtest/gtest.h>

namespace kdive::cli {
namespace {

bool has(const std::vector<std::string>& args, const std::string& value) {
    return std::find(args.begin(), args.end(), value) != args.end();
}

TEST(GdbHandoff, ConnectsThroughKdiveServeAndRunsToTheBreak) {
    lab::Session session;
    session.gdb = "unix:/run/s/gdb.sock";
    session.dir = "/run/s";
    session.vmlinux = "/k/vmlinux";
    auto args = gdb_arguments(session, {"gdb-multiarch", true, "rest_init"}, "/bin/kdive");
    EXPECT_EQ(args.front(), "gdb-multiarch");
    EXPECT_TRUE(has(args, "/k/vmlinux"));
    const auto at = [&](const std::string& value) {
        return std::find(args.begin(), args.end(), value) - args.begin();
    };
    // GDB's index cache is on before the vmlinux loads: only a kernel's first start reads
    // all of its DWARF.
    EXPECT_LT(at(std::string(gdb_index_cache_setting)), at("/k/vmlinux"));
    // kdive serve shows tasks as threads and answers `monitor kdive ...` (kdive's lx-* file
    // asks it) on the session's VM.
    EXPECT_TRUE(has(args, "target remote | /bin/kdive serve /run/s --stdio"));
    EXPECT_TRUE(has(args, "hbreak rest_init"));
    EXPECT_TRUE(has(args, "continue"));
    // No confirmation is left pending for the user's first command: `delete` runs with
    // confirmations off, and they are back on afterwards.
    EXPECT_LT(at("set confirm off"), at("delete"));
    EXPECT_GT(at("set confirm on"), at("delete"));
    EXPECT_LT(at("set confirm on"), static_cast<std::ptrdiff_t>(args.size()));
}

TEST(GdbHandoff, AGuestOfAnotherArchitectureGetsGdbMultiarchUnlessOneWasNamed) {
    lab::Session session;
    session.dir = "/run/s";
    session.arch = lab::host_arch();
    EXPECT_EQ(gdb_program(session, {}), "gdb");
    session.arch = lab::host_arch() == lab::KernelArch::arm64 ? lab::KernelArch::amd64
                                                              : lab::KernelArch::arm64;
    EXPECT_EQ(gdb_program(session, {}), "gdb-multiarch");
    EXPECT_EQ(gdb_arguments(session, {}, "/bin/kdive").front(), "gdb-multiarch");
    EXPECT_EQ(gdb_program(session, {"/opt/pwndbg/gdb", false}), "/opt/pwndbg/gdb");
}

TEST(GdbHandoff, LoadsTheKernelsLxScriptsWhenPresent) {
    testing::TempDir dir("gdb-scripts");
    ASSERT_TRUE(write_file_atomically(dir / "vmlinux-gdb.py", "# scripts\n"));
    lab::Session session;
    session.gdb = "tcp:127.0.0.1:1234";
    session.vmlinux = dir / "vmlinux";
    session.dir = dir.path();
    auto args = gdb_arguments(session, {}, "/bin/kdive");
    const auto at = [&](const std::string& value) {
        return std::find(args.begin(), args.end(), value) - args.begin();
    };
    // The kernel's own first: kdive's file leaves the names it defined alone.
    EXPECT_LT(at("source " + (dir / "vmlinux-gdb.py").string()),
              at("source " + (dir / "kdive-lx.py").string()));
    EXPECT_LT(at("source " + (dir / "kdive-lx.py").string()),
              static_cast<std::ptrdiff_t>(args.size()));
    EXPECT_FALSE(has(args, "continue"));
}

TEST(GdbHandoff, WritesKdivesLxFileIntoTheSession) {
    testing::TempDir dir("lx-file");
    lab::Session session;
    session.dir = dir.path();
    ASSERT_TRUE(write_lx_script(session));
    std::ifstream file(lx_script_path(session));
    const std::string text((std::istreambuf_iterator<char>(file)),
                           std::istreambuf_iterator<char>());
    for (const char* name :
         {"\"lx_current\"", "\"lx_per_cpu\"", "\"lx_task_by_pid\"", "\"lx_module\"",
          "\"container_of\"", "\"lx-ps\"", "\"lx-dmesg\"", "\"lx-lsmod\"", "monitor kdive "}) {
        EXPECT_NE(text.find(name), std::string::npos) << name;
    }
}

// Only `monitor kdive ...` is kdive's; QEMU's own monitor commands pass on to QEMU.
TEST(GdbRelay, TakesMonitorRequestsForKdiveOnly) {
    EXPECT_EQ(kdive_monitor_command("qRcmd," + rsp::hex_encode("kdive ps --json")), "ps --json");
    EXPECT_EQ(kdive_monitor_command("qRcmd," + rsp::hex_encode("kdive")), "");
    EXPECT_FALSE(kdive_monitor_command("qRcmd," + rsp::hex_encode("info registers")));
    EXPECT_FALSE(kdive_monitor_command("qRcmd," + rsp::hex_encode("kdivex")));
    EXPECT_FALSE(kdive_monitor_command("qRcmd,6b6"));
    EXPECT_FALSE(kdive_monitor_command("m0,4"));
}

TEST(GdbRelay, AnswersKernelReadsOnlyWhenTheStubRefusesThem) {
    auto read = kernel_memory_request("mffff800008000000,40");
    ASSERT_TRUE(read);
    EXPECT_EQ(read->address, 0xffff800008000000U);
    EXPECT_EQ(read->length, 0x40U);
    // User addresses, empty or oversized reads, writes and malformed packets pass untouched.
    EXPECT_FALSE(kernel_memory_request("m400000,40"));
    EXPECT_FALSE(kernel_memory_request("mffff800008000000,0"));
    EXPECT_FALSE(kernel_memory_request("mffff800008000000,100000"));
    EXPECT_FALSE(kernel_memory_request("Mffff800008000000,1:00"));
    EXPECT_FALSE(kernel_memory_request("mffff800008000000"));
    EXPECT_FALSE(kernel_memory_request("m1ffff800008000000,4"));
    EXPECT_FALSE(kernel_memory_request("mzz,4"));
}

} // namespace
} // namespace kdive::cli
