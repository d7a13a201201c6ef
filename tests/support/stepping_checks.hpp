// Source-level stepping at start_kernel, kdive against GDB on the same kernel: both stopped at
// start_kernel by a hardware breakpoint from the reset vector, then the same commands (next,
// info locals, bt full, advance, up/down, finish). Shared by the Debian kernels' tests and the
// tiny build's; include from a test executable that defines KDIVE_BINARY.
#pragma once

#include "gdb_reference.hpp"
#include "lab/console_log.hpp"
#include "support/subprocess.hpp"
#include "test_vm.hpp"

#include <algorithm>
#include <gtest/gtest.h>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace kdive::testing {

inline constexpr int next_count = 30;

// The line each `next` stopped at, from a transcript split at the debugger's prompts: the
// source line GDB prints is "N\t..." (after "0x...\t" when mid-statement).
inline std::vector<int> next_lines(const std::string& transcript, const std::string& prompt) {
    static const std::regex line_row(R"((?:^|\n)(?:0x[0-9a-f]+\t)?(\d+)\t)");
    std::vector<int> lines;
    std::size_t at = 0;
    while ((at = transcript.find(prompt, at)) != std::string::npos) {
        at += prompt.size();
        std::size_t end = transcript.find(prompt, at);
        std::string block = transcript.substr(at, end == std::string::npos ? end : end - at);
        // kdive echoes the command; GDB does not.
        if (block.starts_with("next\n"))
            block.erase(0, 5);
        std::smatch match;
        if (std::regex_search(block, match, line_row))
            lines.push_back(std::stoi(match[1]));
        else
            lines.push_back(-1);
    }
    return lines;
}

// The text after "name = " for a local in `info locals` output.
inline std::string local_value(const std::string& transcript, const std::string& name) {
    auto at = transcript.find("\n" + name + " = ");
    if (at == std::string::npos)
        at = transcript.find(" " + name + " = ");
    if (at == std::string::npos)
        return "<missing>";
    at = transcript.find(" = ", at) + 3;
    return transcript.substr(at, transcript.find('\n', at) - at);
}

inline std::string line_with(const std::string& transcript, const std::string& text) {
    auto at = transcript.find(text);
    if (at == std::string::npos)
        return "<missing " + text + ">";
    return transcript.substr(at, transcript.find('\n', at) - at);
}

// The functions of the frames `bt full` printed from `from` on ("#N  [0x... in ]name (").
// GDB 13 on arm64 shows a return address signed by pointer authentication twice: once signed,
// as "0x... [PAC] in ?? ()" (it strips the code without restoring a kernel address's top
// bits), then stripped and named. That extra frame is GDB's, and is not counted.
inline std::vector<std::string> bt_functions(const std::string& transcript, std::size_t from) {
    static const std::regex frame_row(
        R"(^(?:\((?:gdb|kdive)\) )?#(\d+) +(?:0x[0-9a-f]+ (\[PAC\] )?in )?(\S+) \()");
    std::vector<std::string> names;
    std::size_t signed_frames = 0;
    std::istringstream in(from < transcript.size() ? transcript.substr(from) : "");
    std::string line;
    while (std::getline(in, line)) {
        std::smatch match;
        if (!std::regex_search(line, match, frame_row))
            continue;
        if (match[2].matched && match[3] == "??") {
            ++signed_frames;
            continue;
        }
        // The next command's output, or GDB going on past the end of the boot stack.
        if (std::stoul(match[1]) != names.size() + signed_frames || match[3] == "??")
            break;
        names.push_back(match[3]);
    }
    return names;
}

// `kernel`: a fetched kernel's name or a bzImage path (its vmlinux beside it or atop its
// build folder).
inline void expect_stepping_matches_gdb(const std::string& kernel, bool arm64_image = false) {
    // kdive: attach to a paused VM, run to start_kernel, step, then let the guest boot.
    auto vm = TestVm::boot(kernel, {"--paused", "--smp", "2"});
    ASSERT_TRUE(vm) << vm.error().message;
    // A command that never reaches its stop is interrupted after a minute, so a failure shows
    // the whole transcript instead of a run that timed out.
    std::vector<std::string> args{"attach", vm->session().dir.string(), "--batch",
                                  "--echo", "--stop-timeout",           "60"};
    // parse_args before the nexts: start_kernel calls it early. Past those calls the next ones
    // come from initcalls on whichever vCPU runs kernel_init, and the stop that GDB's and
    // kdive's advance wait for (on the starting vCPU) may never come.
    for (const char* command : {"hbreak start_kernel", "continue", "delete", "advance setup_arch",
                                "up", "down", "finish", "advance parse_args", "finish"})
        args.insert(args.end(), {"-ex", command});
    for (int i = 0; i < next_count; ++i)
        args.insert(args.end(), {"-ex", "next"});
    args.insert(args.end(), {"-ex", "info locals", "-ex", "bt full", "-ex", "info breakpoints",
                             "-ex", "continue &"});
    auto ours = run_kdive(args);
    ASSERT_TRUE(ours) << ours.error().message;
    // The temporary breakpoints are gone and the guest boots on to its shell.
    EXPECT_NE(ours->find("No breakpoints or watchpoints."), std::string::npos) << *ours;
    ASSERT_TRUE(vm->wait_for(lab::shell_banner)) << *ours;
    ASSERT_TRUE(vm->stop());

    // GDB on a second boot of the same kernel, through kdive's relay.
    std::vector<std::string> script{"advance setup_arch", "finish", "advance parse_args", "finish"};
    script.insert(script.end(), next_count, "next");
    script.insert(script.end(), {"info locals", "bt full", "kill", "quit"});
    auto gdb = run_gdb_handoff({"--kernel", kernel}, script);
    ASSERT_TRUE(gdb) << gdb.error().message;
    const std::string& theirs = gdb->out;

    // `next` stops on the same lines, one by one.
    auto our_lines = next_lines(ours->substr(ours->find("(kdive) next")), "(kdive) ");
    our_lines.resize(next_count);
    auto gdb_lines = next_lines(theirs.substr(theirs.find("\n(gdb) ") + 1), "(gdb) ");
    // Its first four answers are the two advances' and finishes'.
    gdb_lines.erase(gdb_lines.begin(),
                    gdb_lines.begin() + std::min<std::ptrdiff_t>(4, std::ssize(gdb_lines)));
    gdb_lines.resize(next_count);
    EXPECT_EQ(our_lines, gdb_lines) << *ours << "\n---- GDB ----\n" << theirs;
    EXPECT_NE(std::count(our_lines.begin(), our_lines.end(), -1), next_count);

    // info locals there shows the same values.
    auto locals = ours->substr(ours->find("(kdive) info locals"));
    auto their_locals = theirs.substr(theirs.rfind("command_line = ") - 1);
    EXPECT_EQ(local_value(locals, "command_line"), local_value(their_locals, "command_line"));
    EXPECT_EQ(local_value(locals, "after_dashes"), local_value(their_locals, "after_dashes"));

    // bt full: the same frames (inlined ones too), and start_kernel's locals in them.
    const auto our_bt = ours->find("(kdive) bt full");
    ASSERT_NE(our_bt, std::string::npos) << *ours;
    const auto their_bt = theirs.rfind("#0  ", theirs.rfind("        command_line = "));
    const auto our_frames = bt_functions(*ours, our_bt);
    EXPECT_GE(our_frames.size(), 2u) << ours->substr(our_bt);
    EXPECT_EQ(our_frames, bt_functions(theirs, their_bt)) << ours->substr(our_bt) << theirs;
    EXPECT_EQ(local_value(ours->substr(our_bt), "command_line"),
              local_value(theirs.substr(std::min(their_bt, theirs.size())), "command_line"));

    // up from setup_arch is start_kernel; down comes back; finish returns to start_kernel,
    // where GDB's finish returns too.
    EXPECT_NE(ours->find("#1  0x"), std::string::npos) << *ours;
    // A build folder's debug info names its sources by their absolute paths.
    EXPECT_TRUE(
        std::regex_search(*ours, std::regex(R"( in start_kernel \(\) at \S*init/main\.c:)")))
        << *ours;
    // arm64's functions begin with ftrace's NOPs (when the kernel has ftrace), before their
    // first line: GDB and kdive stop there ("0x... in setup_arch ()") where x86-64 stops at the
    // first line.
    const bool arm64 = arm64_image || kernel.ends_with("-arm64");
    const std::string entered = arm64 ? "#0  (0x[0-9a-f]+ in )?" : "#0  ";
    EXPECT_TRUE(std::regex_search(*ours, std::regex(entered + R"(setup_arch \()"))) << *ours;
    auto after_finish = [](const std::string& transcript) {
        static const std::regex run_till(
            R"(Run till exit from #0  (0x[0-9a-f]+ in )?setup_arch \()");
        std::smatch found;
        if (!std::regex_search(transcript, found, run_till))
            return std::string("<no finish>");
        auto at = static_cast<std::size_t>(found.position(0));
        at = transcript.find("start_kernel ()", at);
        if (at == std::string::npos)
            return std::string("<no return to start_kernel>");
        at = transcript.rfind('\n', at) + 1;
        return transcript.substr(at, transcript.find('\n', at) - at);
    };
    EXPECT_NE(after_finish(*ours).find("start_kernel () at "), std::string::npos) << *ours;
    EXPECT_NE(after_finish(*ours).find("init/main.c:"), std::string::npos) << *ours;
    EXPECT_EQ(after_finish(*ours), after_finish(theirs));
    // A value-returning function: the value is printed and recorded as GDB does.
    EXPECT_TRUE(
        std::regex_search(*ours, std::regex("Run till exit from " + entered + R"(parse_args \()")))
        << *ours;
    // GDB 13 on arm64 runs `advance parse_args` to the patchable entry's NOPs, which lie before
    // the function's first line: it no longer knows the function, so it prints no value.
    // kdive stops at the first line, as on x86-64, and prints it: parse_args' result is what
    // start_kernel stored in after_dashes, whose value GDB shows in `info locals`.
    if (arm64 && line_with(theirs, "Value returned is ").starts_with("<missing")) {
        EXPECT_EQ(line_with(*ours, "Value returned is "),
                  "Value returned is $1 = " + local_value(their_locals, "after_dashes"));
    } else {
        EXPECT_EQ(line_with(*ours, "Value returned is "), line_with(theirs, "Value returned is "));
    }
}

} // namespace kdive::testing
