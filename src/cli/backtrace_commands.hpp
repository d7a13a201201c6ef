// bt, bt PID|TASK, bt -a and foreach bt: kernel stack traces as text or JSON.
#pragma once

#include "cli/kernel_output.hpp"
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
    nlohmann::json json_frames(const kernel::Backtrace& trace);
    std::vector<FrameName> names(const kernel::Backtrace& trace);

    KernelCommands& commands_;
    debuginfo::DebugInfo& info_;
    target::Target& target_;
    std::unique_ptr<kernel::StackUnwinder> unwinder_;
    std::optional<std::vector<kernel::ModuleInfo>> modules_;
    std::map<std::pair<std::uint64_t, bool>, FrameName> names_;
};

} // namespace kdive::cli
