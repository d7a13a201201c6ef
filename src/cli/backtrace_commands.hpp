// bt, bt PID|TASK, bt -a and foreach bt: kernel stack traces as text or JSON.
#pragma once

#include "debuginfo/debug_info.hpp"
#include "kernel/kernel.hpp"
#include "kernel/module_list.hpp"
#include "kernel/stack_unwinder.hpp"
#include "support/error.hpp"
#include "target/target.hpp"

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace kdive::cli {

class KernelCommands;

// One frame named for people: function+offset, file:line, module.
struct FrameName {
    std::string function; // empty when no symbol covers the pc
    std::uint64_t offset = 0;
    std::string file;
    int line = 0;
    std::string module; // empty for vmlinux code
};

class BacktraceCommands {
public:
    BacktraceCommands(KernelCommands& commands, debuginfo::DebugInfo& info, target::Target& target);
    ~BacktraceCommands();

    // "bt [-a|PID|0xTASK]" and "foreach bt"; `args` without the command word and --json.
    Result<std::string> bt(std::vector<std::string>& args, bool json);
    Result<std::string> foreach_bt(std::vector<std::string>& args, bool json);
    // Forgets module lists and cached names (after the guest ran).
    void invalidate();

private:
    struct TaskTrace;
    Result<kernel::Kernel*> ready();
    Result<kernel::Backtrace> trace_vcpu(int vcpu);
    Result<kernel::Backtrace> trace_task(std::uint64_t task);
    const FrameName& name(const kernel::UnwoundFrame& frame);
    std::string format_frames(const kernel::Backtrace& trace);
    std::string json_frames(const kernel::Backtrace& trace);
    Result<std::vector<std::uint64_t>> running_tasks();

    KernelCommands& commands_;
    debuginfo::DebugInfo& info_;
    target::Target& target_;
    std::unique_ptr<kernel::StackUnwinder> unwinder_;
    std::optional<std::vector<kernel::ModuleInfo>> modules_;
    std::map<std::pair<std::uint64_t, bool>, FrameName> names_;
};

} // namespace kdive::cli
