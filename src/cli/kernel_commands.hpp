// The kernel-awareness commands (current, per-cpu, ps, dmesg, lsmod, vtop, cmdline, version,
// cpus, mounts, uptime, kconfig and their lx-* aliases) over a stopped target.
#pragma once

#include "debuginfo/debug_info.hpp"
#include "eval/function_hooks.hpp"
#include "eval/scope.hpp"
#include "eval/type_arena.hpp"
#include "kernel/kernel.hpp"
#include "kernel/module_debug_info.hpp"
#include "kernel/target_memory.hpp"
#include "kernel/task_walker.hpp"
#include "support/error.hpp"
#include "target/target.hpp"
#include "target/vmcore_info.hpp"

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kdive::cli {

class KernelFunctions;
class BacktraceCommands;
class EvalCommands;

// `list` is GDB's source listing and crash's list walk: crash's options first (-H, -o, -s, -c)
// make it the walk. `arguments` is what follows the command word.
bool is_list_walk(std::string_view arguments);

// Removes `flag` from the arguments; true if it was there.
bool take_flag(std::vector<std::string>& args, std::string_view flag);
// Removes "OPTION VALUE" from the arguments and gives VALUE; nullopt when absent, an error
// naming `command` when the value is missing.
Result<std::optional<std::string>> take_value(std::vector<std::string>& args,
                                              std::string_view option, std::string_view command);

class KernelCommands {
public:
    KernelCommands(debuginfo::DebugInfo& info, target::Target& target);
    ~KernelCommands();

    // nullopt: not one of these commands (let the next handler try); otherwise the output
    // (possibly empty) or the error to show.
    std::optional<Result<std::string>> run(std::string_view line);

    // The kernel view, after the version check and KASLR detection (done once).
    Result<kernel::Kernel*> kernel();
    // Memory reads as the kernel layer does them (for the expression evaluator too).
    kernel::TargetMemory& memory() { return memory_; }

    // Helpers the expression functions ($current(), $per_cpu()) share with the commands.
    Result<std::uint64_t> current_task(std::optional<int> cpu);
    Result<std::uint64_t> per_cpu_address(std::uint64_t variable_address, std::optional<int> cpu);
    Result<std::uint64_t> task_by_pid(int pid);
    // $lx_current(), $lx_per_cpu(), $container_of(), $lx_task_by_pid() for the expression
    // commands: EvalCommands::set_functions(kernel.functions()).
    eval::FunctionHooks* functions();
    // The loaded modules' symbols and debug info, at their load addresses.
    kernel::ModuleDebugInfo& modules() { return *modules_; }
    // Gives expression commands the kernel's view: the functions above, the modules' images
    // and the KASLR offset (none before the kernel runs, at the reset vector).
    void serve(EvalCommands& eval);

private:
    Result<std::string> dispatch(std::string_view word, std::vector<std::string>& args);
    Result<std::string> current(std::vector<std::string>& args, bool json);
    Result<std::string> per_cpu(std::vector<std::string>& args, bool json);
    Result<std::string> ps(std::vector<std::string>& args, bool json);
    Result<std::string> dmesg(bool json);
    Result<std::string> lsmod(bool json);
    Result<std::string> module_symbols(bool json);
    Result<std::string> vtop(std::vector<std::string>& args, bool json);
    Result<std::string> vtop_arm64(std::uint64_t address, std::optional<std::uint64_t> pid,
                                   bool json);
    // A task's mm->pgd (a kernel address) and words naming it, for vtop --pid.
    Result<std::pair<std::uint64_t, std::string>> task_pgd(std::uint64_t pid);
    Result<std::string> cmdline(bool json);
    Result<std::string> version(bool json);
    Result<std::string> cpus(bool json);
    Result<std::string> mounts(std::vector<std::string>& args, bool json);
    Result<std::string> uptime(bool json);
    Result<std::string> kconfig();
    Result<std::string> list(std::vector<std::string>& args, bool json);
    Result<std::string> sys(bool json);
    Result<std::string> kmem(std::vector<std::string>& args, bool json);
    Result<std::string> kmem_address(std::vector<std::string>& args, bool json);
    Result<std::string> kmem_page(std::vector<std::string>& args, bool json);
    Result<std::string> vmalloc(std::vector<std::string>& args, bool json);
    Result<std::string> search(std::vector<std::string>& args, bool json);
    // "symbol+0x1a", "symbol+0x1a [module]" for code in the image or a module; hex otherwise.
    std::string code_location(std::uint64_t address);
    Result<std::string> files(std::vector<std::string>& args, bool json);
    Result<std::string> vm(std::vector<std::string>& args, bool json);
    Result<std::string> irq(std::vector<std::string>& args, bool json);
    Result<std::string> sig(std::vector<std::string>& args, bool json);
    Result<std::string> runq(bool json);
    Result<std::string> log(std::vector<std::string>& args, bool json);
    Result<std::string> struct_command(std::vector<std::string>& args, bool json);
    Result<std::string> task(std::vector<std::string>& args, bool json);
    Result<std::string> waitq(std::vector<std::string>& args, bool json);
    Result<std::string> tree(std::vector<std::string>& args, bool json);
    Result<std::string> timer(bool json);
    Result<std::string> dev(std::vector<std::string>& args, bool json);
    Result<std::string> net(std::vector<std::string>& args, bool json);
    // The vmlinux or module function starting at `address`, "" when none does.
    std::string function_name(std::uint64_t address);
    // The members of the struct at `address` (all of it when `members` is empty) as the value
    // printer shows them; an unreadable one says why in its place. Needs the evaluator.
    std::vector<std::pair<std::string, std::string>>
    struct_members(const std::string& name, const std::vector<std::string>& members,
                   std::uint64_t address);
    // A structure's layout, or with an address its value (all members, or the listed ones).
    Result<std::string> show_struct(std::string_view type_text,
                                    std::optional<std::uint64_t> address, bool json);
    // One task's ps row (for the headers of per-task commands).
    Result<kernel::TaskInfo> describe_task(std::uint64_t task);
    // The task of a PID the user typed after `command`; errors name both.
    Result<std::uint64_t> task_of_pid_word(std::string_view command, std::string_view word);
    // An address argument of `command`: a number (bare hex too, as crash prints addresses), or
    // an expression (a structure such as a list_head names its own address).
    Result<std::uint64_t> address_argument(std::string_view command, std::string_view text);
    // Every task, read in one walk.
    Result<std::vector<kernel::TaskInfo>> every_task();
    Result<kernel::TaskWalker*> tasks();
    // The CPU the selected vCPU is: the one whose __per_cpu_offset is its per-CPU base, else
    // (before the per-CPU areas exist) its index, which QEMU gives the boot CPU as 0.
    int selected_cpu();
    // x86-64's tables for vtop: the selected vCPU's CR3, else (a dump without control
    // registers) the kernel's own from VMCOREINFO.
    struct PageTables {
        std::uint64_t root = 0;
        bool five_level = false;
        std::string source; // "CR3 0x... of CPU 0"
    };
    Result<PageTables> x86_64_tables();
    // The VMCOREINFO a dump carries, if the target is one that has it.
    const target::VmcoreInfo* recorded_vmcoreinfo() const;
    // KERNELOFFSET of the VMCOREINFO a dump carries, if any.
    std::optional<std::uint64_t> recorded_kaslr_offset();

    debuginfo::DebugInfo& info_;
    target::Target& target_;
    kernel::TargetMemory memory_;
    std::unique_ptr<kernel::Kernel> kernel_;
    std::optional<Error> setup_error_;
    std::string kaslr_method_;
    std::optional<kernel::TaskWalker> walker_;
    eval::DebugInfoScope scope_;
    eval::TypeArena arena_;
    std::unique_ptr<KernelFunctions> functions_;
    std::unique_ptr<kernel::ModuleDebugInfo> modules_;
    std::unique_ptr<BacktraceCommands> backtraces_;
    EvalCommands* eval_ = nullptr; // set by serve()
};

} // namespace kdive::cli
