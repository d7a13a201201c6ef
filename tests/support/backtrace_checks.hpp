// Checks of kdive's bt shared by the unwind and build tests: the trace at start_kernel against
// GDB's on the same kernel, and the stacks `kdive up` sees at the guest's first openat().
// Include from a test executable that defines KDIVE_BINARY.
#pragma once

#include "gdb_reference.hpp"
#include "support/subprocess.hpp"

#include <cstdint>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace kdive::testing {

using Json = nlohmann::json;

// The first line of `text` that starts with `prefix` and parses as JSON: `bt --json` prints
// {"frames": ...}, `foreach bt --json` and `ps --json` print arrays of objects.
inline Json json_line(const std::string& text, std::string_view prefix = R"({"frames")") {
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        if (!line.starts_with(prefix)) {
            continue;
        }
        auto parsed = Json::parse(line, nullptr, false);
        if (!parsed.is_discarded()) {
            return parsed;
        }
    }
    return Json();
}

inline std::vector<std::string> functions(const Json& frames) {
    std::vector<std::string> out;
    for (const auto& frame : frames) {
        out.push_back(frame["function"].is_string() ? frame["function"].get<std::string>() : "");
    }
    return out;
}

inline bool has(const std::vector<std::string>& names,
                std::initializer_list<std::string_view> any) {
    for (std::string_view name : names) {
        // GCC's clones keep the function's name before a dot: invoke_syscall.constprop.0.
        name = name.substr(0, name.find('.'));
        for (std::string_view wanted : any) {
            if (name == wanted) {
                return true;
            }
        }
    }
    return false;
}

// "f <- g <- h": a trace in one line, for failure messages.
inline std::string describe(const Json& frames) {
    std::string out;
    for (const auto& name : functions(frames)) {
        out += name + " <- ";
    }
    return out;
}

struct GdbFrame {
    std::uint64_t pc = 0; // 0 when GDB printed no address (frame 0 at a line start)
    std::string function;
};

// "#1  0xffffffff81000159 in secondary_startup_64 ()" / "#0  start_kernel () at ...".
inline std::vector<GdbFrame> parse_gdb_bt(const std::string& text) {
    std::vector<GdbFrame> frames;
    const std::regex line_re(R"(^(?:\(gdb\) )?#(\d+) +(?:(0x[0-9a-f]+) in )?([A-Za-z0-9_.?]+) \()");
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        std::smatch match;
        if (!std::regex_search(line, match, line_re)) {
            continue;
        }
        GdbFrame frame;
        if (match[2].matched) {
            frame.pc = std::stoull(match[2].str(), nullptr, 16);
        }
        frame.function = match[3].str();
        frames.push_back(frame);
    }
    return frames;
}

// One of the names is the other with a suffix (GDB and the symbol table may choose different
// labels at one address: secondary_startup_64 vs secondary_startup_64_no_verify).
inline bool same_function(const std::string& a, const std::string& b) {
    return a.starts_with(b) || b.starts_with(a);
}

// `kdive up KERNEL_ARGS -ex 'bt --json'` at start_kernel against GDB's bt after
// `kdive up --gdb KERNEL_ARGS`: every frame GDB can name is ours, at the same position and pc.
inline void expect_start_kernel_bt_matches_gdb(const std::vector<std::string>& kernel_args) {
    RunOptions options;
    options.timeout = std::chrono::minutes(5);
    std::vector<std::string> up{KDIVE_BINARY, "up"};
    up.insert(up.end(), kernel_args.begin(), kernel_args.end());
    up.insert(up.end(), {"--batch", "-ex", "bt --json"});
    auto ours = run_process(up, options);
    ASSERT_TRUE(ours) << ours.error().message;
    const Json trace = json_line(ours->out);
    ASSERT_TRUE(trace.is_object()) << ours->out << ours->err;
    EXPECT_TRUE(trace["stop_reason"].is_null()) << trace.dump();
    const Json& frames = trace["frames"];
    ASSERT_GE(frames.size(), 2u) << trace.dump();
    EXPECT_EQ(frames[0]["function"], "start_kernel");

    auto gdb = run_gdb_handoff(kernel_args, {"bt", "kill", "quit"});
    ASSERT_TRUE(gdb) << gdb.error().message;
    const auto gdb_frames = parse_gdb_bt(gdb->out);
    ASSERT_GE(gdb_frames.size(), 2u) << gdb->out << gdb->err;
    EXPECT_EQ(gdb_frames[0].function, "start_kernel");
    // GDB keeps going past the end of the boot stack into "0x0 in ??": compare the frames it
    // could name.
    std::size_t compared = 0;
    for (std::size_t i = 1; i < gdb_frames.size(); ++i) {
        if (gdb_frames[i].pc == 0 || gdb_frames[i].function == "??") {
            break;
        }
        ASSERT_LT(i, frames.size()) << "GDB has more frames:\n" << gdb->out << trace.dump();
        EXPECT_EQ(frames[i]["pc"], fmt::format("{:#x}", gdb_frames[i].pc)) << "frame " << i;
        EXPECT_TRUE(same_function(frames[i]["function"].get<std::string>(), gdb_frames[i].function))
            << "frame " << i << ": " << frames[i]["function"] << " vs " << gdb_frames[i].function;
        ++compared;
    }
    EXPECT_EQ(compared + 1, frames.size()) << gdb->out << trace.dump();
}

} // namespace kdive::testing
