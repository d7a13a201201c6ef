// Starts each unwind from the right registers (a vCPU's, or a sleeping task's saved frame),
// names the frames, and groups identical stacks for foreach bt.
#include "cli/backtrace_commands.hpp"

#include "arch/architecture.hpp"
#include "cli/kernel_commands.hpp"
#include "kernel/module_symbols.hpp"
#include "kernel/per_cpu.hpp"
#include "kernel/target_memory.hpp"
#include "kernel/task_walker.hpp"
#include "kernel/vcpu_tasks.hpp"
#include "support/guest_text.hpp"
#include "support/hex_text.hpp"
#include "support/text.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace kdive::cli {

namespace {

using Json = nlohmann::json;

constexpr std::size_t max_frames = 64;

Result<std::uint64_t> parse_number(std::string_view text) {
    if (auto value = parse_unsigned(text)) {
        return *value;
    }
    return fail("bt: bad PID or task address '{}'", text);
}

// The pcs of a trace: what makes two stacks identical.
std::vector<std::uint64_t> pcs(const kernel::Backtrace& trace) {
    std::vector<std::uint64_t> out;
    out.reserve(trace.frames.size());
    for (const auto& frame : trace.frames) {
        out.push_back(frame.pc);
    }
    return out;
}

// Kernel memory is read through the selected vCPU's page tables, and under KPTI a vCPU in user
// mode maps little of the kernel: for one command, read through a vCPU that is in the kernel,
// then give the user's selection back.
class KernelVcpuGuard {
public:
    explicit KernelVcpuGuard(target::Target& target)
        : target_(target), selected_(target.current_vcpu()) {
        if (target_.running() || in_kernel(selected_)) {
            return;
        }
        for (int vcpu = 0; vcpu < target_.vcpu_count(); ++vcpu) {
            if (vcpu != selected_ && in_kernel(vcpu)) {
                borrowed_ = true;
                return;
            }
        }
        (void)target_.select_vcpu(selected_);
    }
    ~KernelVcpuGuard() {
        if (borrowed_) {
            (void)target_.select_vcpu(selected_);
        }
    }
    KernelVcpuGuard(const KernelVcpuGuard&) = delete;
    KernelVcpuGuard& operator=(const KernelVcpuGuard&) = delete;
    // The vCPU the user had selected.
    int selected() const { return selected_; }

private:
    bool in_kernel(int vcpu) {
        auto pc = target_.read_cpu_register(vcpu, arch::architecture_of(target_).pc);
        if (!pc || !kernel::is_kernel_address(*pc)) {
            return false;
        }
        return vcpu == target_.current_vcpu() || target_.select_vcpu(vcpu).has_value();
    }

    target::Target& target_;
    int selected_;
    bool borrowed_ = false;
};

// Each online CPU's idle task, from its run queue.
} // namespace

struct BacktraceCommands::TaskTrace {
    kernel::TaskInfo task;
    kernel::Backtrace trace;
    std::string error; // the unwind could not start
};

BacktraceCommands::BacktraceCommands(KernelCommands& commands, debuginfo::DebugInfo& info,
                                     target::Target& target)
    : commands_(commands), info_(info), target_(target) {}

BacktraceCommands::~BacktraceCommands() = default;

void BacktraceCommands::invalidate() {
    if (unwinder_) {
        unwinder_->invalidate();
    }
    modules_.reset();
    names_.clear();
}

Result<kernel::Kernel*> BacktraceCommands::ready() {
    auto view = commands_.kernel();
    if (!view) {
        return std::unexpected(view.error());
    }
    if (!unwinder_) {
        auto created = kernel::StackUnwinder::create(**view);
        if (!created) {
            return std::unexpected(created.error());
        }
        unwinder_ = std::move(*created);
    }
    return view;
}

Result<kernel::Backtrace> BacktraceCommands::trace_vcpu(int vcpu) {
    // Registers come from the vCPU itself; memory keeps going through the selected one (a
    // vCPU in user mode under KPTI maps little kernel memory).
    kernel::CpuRegisterReader own(target_, vcpu);
    auto registers = kernel::vcpu_registers(arch::architecture_of(target_), own);
    if (!registers) {
        return std::unexpected(registers.error());
    }
    const std::uint64_t pc = registers->pc().value_or(0);
    if (!kernel::is_kernel_address(pc)) {
        kernel::Backtrace user;
        user.stop_reason =
            fmt::format("CPU {} is in user mode (pc {}): no kernel frames", vcpu, hex(pc));
        return user;
    }
    return unwinder_->unwind(*registers, max_frames);
}

Result<kernel::Backtrace> BacktraceCommands::trace_task(std::uint64_t task) {
    auto view = ready();
    if (!view) {
        return std::unexpected(view.error());
    }
    auto running = kernel::VcpuTasks::read(**view, target_);
    if (!running) {
        return std::unexpected(running.error());
    }
    if (auto cpu = running->vcpu_of(task, std::nullopt)) {
        return trace_vcpu(*cpu);
    }
    auto registers = kernel::sleeping_task_registers(**view, task);
    if (!registers) {
        return std::unexpected(registers.error());
    }
    if (auto cpu = running->vcpu_of(task, registers->sp())) {
        return trace_vcpu(*cpu);
    }
    if (auto ok = running->require_sleeping(**view, task); !ok) {
        return std::unexpected(ok.error());
    }
    return unwinder_->unwind(*registers, max_frames);
}

const FrameName& BacktraceCommands::name(const kernel::UnwoundFrame& frame) {
    // A return address names the call before it (it may be the first byte of the next
    // function after a noreturn call); an interrupted pc names itself.
    const bool exact = frame.level == 0 || frame.from_pt_regs;
    const auto key = std::make_pair(frame.pc, exact);
    if (auto found = names_.find(key); found != names_.end()) {
        return found->second;
    }
    FrameName out;
    const std::uint64_t lookup = exact ? frame.pc : frame.pc - 1;
    kernel::Kernel* view = *commands_.kernel();
    const std::uint64_t file_address = view->unrelocate(lookup);
    const bool in_image = info_.image_range().contains(file_address);
    if (in_image) {
        if (const debuginfo::Symbol* symbol = info_.symbols().function_at(file_address)) {
            out.function = std::string(symbol->name);
            out.offset = frame.pc - view->relocate(symbol->address);
        }
        if (auto line = info_.source_line(file_address)) {
            out.file = line->file;
            out.line = line->line;
        }
    } else {
        if (!modules_) {
            auto modules = kernel::list_modules(*view);
            modules_ = modules ? std::move(*modules) : std::vector<kernel::ModuleInfo>{};
        }
        for (const auto& module : *modules_) {
            if (lookup >= module.base && lookup < module.base + module.size) {
                out.module = module.name;
                if (auto symbol = kernel::module_symbol(*view, module, lookup)) {
                    out.function = symbol->name;
                    out.offset = frame.pc - symbol->address;
                }
                // file:line from the module's debug file, where kdive has it.
                if (auto where = commands_.modules().describe(lookup); where && where->line) {
                    out.file = where->line->file;
                    out.line = where->line->line;
                }
                break;
            }
        }
    }
    return names_.emplace(key, std::move(out)).first->second;
}

std::vector<FrameName> BacktraceCommands::names(const kernel::Backtrace& trace) {
    std::vector<FrameName> out;
    out.reserve(trace.frames.size());
    for (const auto& frame : trace.frames) {
        out.push_back(name(frame));
    }
    return out;
}

std::string BacktraceCommands::format_frames(const kernel::Backtrace& trace) {
    return frames_text(trace, names(trace));
}

Json BacktraceCommands::json_frames(const kernel::Backtrace& trace) {
    return frames_json(trace, names(trace));
}

Result<std::string> BacktraceCommands::bt(std::vector<std::string>& args, bool json) {
    const KernelVcpuGuard guard(target_);
    auto view = ready();
    if (!view) {
        return std::unexpected(view.error());
    }
    // The guest may have run since the last command: modules are read again.
    invalidate();
    const auto one = [&](const kernel::Backtrace& trace) -> std::string {
        if (!json) {
            return format_frames(trace);
        }
        Json out = {{"frames", json_frames(trace)},
                    {"stop_reason", guest_string(trace.stop_reason, true)},
                    {"unwinder", guest_string(unwinder_->method())}};
        return dump_json(out);
    };
    if (args.empty()) {
        auto trace = trace_vcpu(guard.selected());
        if (!trace) {
            return std::unexpected(trace.error());
        }
        return one(*trace);
    }
    if (args.size() != 1) {
        return fail("usage: bt [-a | PID | 0xTASK] [--json]");
    }
    if (args[0] == "-a") {
        auto running = kernel::VcpuTasks::read(**view, target_);
        if (!running) {
            return std::unexpected(running.error());
        }
        auto walker = kernel::TaskWalker::create(**view);
        Json rows = Json::array();
        std::string text;
        for (int cpu = 0; cpu < target_.vcpu_count(); ++cpu) {
            const kernel::VcpuTask& slot = running->slots()[static_cast<std::size_t>(cpu)];
            const std::uint64_t task = slot.current;
            kernel::TaskInfo info;
            if (walker && task != 0) {
                if (auto described = walker->describe(task)) {
                    info = *described;
                }
            }
            auto trace = trace_vcpu(cpu);
            if (!trace) {
                return std::unexpected(trace.error());
            }
            if (json) {
                rows.push_back(
                    {{"cpu", cpu},
                     {"pid", info.pid},
                     {"comm", guest_string(info.comm)},
                     {"task", hex(task)},
                     {"switching_to_stack",
                      slot.switching_to_stack == 0 ? Json() : Json(hex(slot.switching_to_stack))},
                     {"frames", json_frames(*trace)},
                     {"stop_reason", guest_string(trace->stop_reason, true)}});
            } else {
                text += bt_cpu_header(cpu, info, task, slot.switching_to_stack);
                text += format_frames(*trace);
            }
        }
        return json ? dump_json(rows) : text;
    }
    auto number = parse_number(args[0]);
    if (!number) {
        return std::unexpected(number.error());
    }
    std::uint64_t task = *number;
    if (!kernel::is_kernel_address(task)) {
        auto found = commands_.task_by_pid(static_cast<int>(*number));
        if (!found) {
            return std::unexpected(found.error());
        }
        task = *found;
    }
    auto trace = trace_task(task);
    if (!trace) {
        return std::unexpected(trace.error());
    }
    return one(*trace);
}

Result<std::string> BacktraceCommands::foreach_bt(std::vector<std::string>& args, bool json) {
    if (args.size() != 1 || args[0] != "bt") {
        return fail("usage: foreach bt [--json]");
    }
    const KernelVcpuGuard guard(target_);
    auto view = ready();
    if (!view) {
        return std::unexpected(view.error());
    }
    invalidate();
    auto walker = kernel::TaskWalker::create(**view);
    if (!walker) {
        return std::unexpected(walker.error());
    }
    auto tasks = walker->all_tasks();
    if (!tasks) {
        return std::unexpected(tasks.error());
    }
    auto running = kernel::VcpuTasks::read(**view, target_);
    if (!running) {
        return std::unexpected(running.error());
    }
    // Only CPU 0's idle task (init_task) is on the task list; the others hang off their run
    // queues (rq->idle).
    if (auto idle = kernel::idle_tasks(**view)) {
        for (std::uint64_t task : *idle) {
            const bool listed = std::any_of(tasks->begin(), tasks->end(),
                                            [task](const auto& t) { return t.task == task; });
            if (!listed) {
                if (auto described = walker->describe(task)) {
                    tasks->push_back(*described);
                }
            }
        }
    }
    // Identical stacks (same pcs, same ending) form one group, in order of first appearance.
    std::vector<std::vector<TaskTrace>> groups;
    std::map<std::pair<std::vector<std::uint64_t>, std::string>, std::size_t> index;
    const auto running_on = [&](std::uint64_t task) {
        return running->vcpu_of(task, std::nullopt);
    };
    // Every sleeping task's saved registers and stack top in two batches of reads.
    std::vector<std::uint64_t> sleeping;
    for (const auto& task : *tasks) {
        if (!running_on(task.task)) {
            sleeping.push_back(task.task);
        }
    }
    auto starts = kernel::sleeping_task_starts(**view, sleeping);
    std::size_t next_start = 0;
    for (const auto& task : *tasks) {
        TaskTrace entry{task, {}, {}};
        Result<kernel::Backtrace> trace = [&]() -> Result<kernel::Backtrace> {
            if (auto cpu = running_on(task.task)) {
                return trace_vcpu(*cpu);
            }
            if (!starts) {
                return trace_task(task.task);
            }
            auto& start = (*starts)[next_start++];
            if (!start) {
                return std::unexpected(start.error());
            }
            // The task a vCPU is switching to runs there already, on the stack it saved.
            if (auto cpu = running->vcpu_of(task.task, start->registers.sp())) {
                return trace_vcpu(*cpu);
            }
            if (auto ok = running->require_sleeping(**view, task.task); !ok) {
                return std::unexpected(ok.error());
            }
            if (!start->stack.empty()) {
                unwinder_->preload(start->stack_address, std::move(start->stack));
            }
            return unwinder_->unwind(start->registers, max_frames);
        }();
        if (trace) {
            entry.trace = std::move(*trace);
        } else {
            entry.error = trace.error().message;
        }
        auto key = std::make_pair(pcs(entry.trace),
                                  entry.error.empty() ? entry.trace.stop_reason : entry.error);
        auto [at, added] = index.emplace(std::move(key), groups.size());
        if (added) {
            groups.emplace_back();
        }
        groups[at->second].push_back(std::move(entry));
    }
    Json rows = Json::array();
    std::string text;
    for (const auto& group : groups) {
        const TaskTrace& first = group.front();
        std::vector<kernel::TaskInfo> members;
        members.reserve(group.size());
        for (const auto& member : group) {
            members.push_back(member.task);
        }
        if (json) {
            const std::string& reason = first.error.empty() ? first.trace.stop_reason : first.error;
            rows.push_back({{"count", group.size()},
                            {"tasks", task_group_json(members)},
                            {"frames", json_frames(first.trace)},
                            {"stop_reason", guest_string(reason, true)}});
            continue;
        }
        text += fmt::format("{} task{}: {}\n", group.size(), group.size() == 1 ? "" : "s",
                            task_group_text(members));
        if (!first.error.empty()) {
            text += fmt::format("(no backtrace: {})\n",
                                terminal_text(first.error, TerminalText::message));
        } else {
            text += format_frames(first.trace);
        }
        text += '\n';
    }
    if (json) {
        return dump_json(rows);
    }
    text += fmt::format("{} tasks, {} distinct stacks ({} unwinder)\n", tasks->size(),
                        groups.size(), unwinder_->method());
    return text;
}

} // namespace kdive::cli
