// Parses the kernel commands' arguments and formats the kernel layer's answers as text or JSON.
#include "cli/kernel_commands.hpp"

#include "arch/x86_64/kernel_page_tables.hpp"
#include "arch/x86_64/page_table_walker.hpp"
#include "cli/backtrace_commands.hpp"
#include "cli/eval_commands.hpp"
#include "cli/kernel_functions.hpp"
#include "cli/kernel_output.hpp"
#include "eval/value_printer.hpp"
#include "kernel/kaslr_offset.hpp"
#include "kernel/kernel_config.hpp"
#include "kernel/kernel_version.hpp"
#include "kernel/module_list.hpp"
#include "kernel/mount_list.hpp"
#include "kernel/panic_state.hpp"
#include "kernel/per_cpu.hpp"
#include "kernel/printk_reader.hpp"
#include "kernel/task_names.hpp"
#include "kernel/uptime.hpp"
#include "support/guest_text.hpp"
#include "support/hex_text.hpp"
#include "support/text.hpp"
#include "target/core_target.hpp"
#include "target/vmcore_info.hpp"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

namespace kdive::cli {

namespace {

using Json = nlohmann::json;

std::vector<std::string> split_words(std::string_view text) {
    std::vector<std::string> words;
    std::size_t i = 0;
    while (i < text.size()) {
        while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) {
            ++i;
        }
        std::size_t end = i;
        while (end < text.size() && !std::isspace(static_cast<unsigned char>(text[end]))) {
            ++end;
        }
        if (end > i) {
            words.emplace_back(text.substr(i, end - i));
        }
        i = end;
    }
    return words;
}

Result<std::uint64_t> parse_number(std::string_view text, std::string_view what) {
    if (auto value = parse_unsigned(text)) {
        return *value;
    }
    return fail("bad {} '{}'", what, text);
}

// "--cpu N" or "--cpu=N"; nullopt when absent.
Result<std::optional<int>> take_cpu_option(std::vector<std::string>& args) {
    for (std::size_t i = 0; i < args.size(); ++i) {
        std::string value;
        if (args[i] == "--cpu" && i + 1 < args.size()) {
            value = args[i + 1];
            args.erase(args.begin() + static_cast<long>(i),
                       args.begin() + static_cast<long>(i) + 2);
        } else if (args[i].starts_with("--cpu=")) {
            value = args[i].substr(6);
            args.erase(args.begin() + static_cast<long>(i));
        } else {
            continue;
        }
        auto cpu = parse_number(value, "CPU number");
        if (!cpu) {
            return std::unexpected(cpu.error());
        }
        return std::optional<int>(static_cast<int>(*cpu));
    }
    return std::optional<int>();
}

Result<> no_more(const std::vector<std::string>& args, std::string_view command) {
    if (!args.empty()) {
        return fail("{}: unexpected argument '{}'", command, args.front());
    }
    return {};
}

std::string without_final_newline(std::string text) {
    while (!text.empty() && text.back() == '\n') {
        text.pop_back();
    }
    return text;
}

} // namespace

bool take_flag(std::vector<std::string>& args, std::string_view flag) {
    auto found = std::find(args.begin(), args.end(), flag);
    if (found == args.end()) {
        return false;
    }
    args.erase(found);
    return true;
}

Result<std::optional<std::string>> take_value(std::vector<std::string>& args,
                                              std::string_view option, std::string_view command) {
    for (std::size_t i = 0; i < args.size(); ++i) {
        if (args[i] != option) {
            continue;
        }
        if (i + 1 >= args.size()) {
            return fail_as(ErrorKind::invalid_input, "{}: {} needs a value", command, option);
        }
        std::string value = args[i + 1];
        args.erase(args.begin() + static_cast<std::ptrdiff_t>(i),
                   args.begin() + static_cast<std::ptrdiff_t>(i) + 2);
        return std::optional<std::string>(std::move(value));
    }
    return std::optional<std::string>();
}

Result<kernel::TaskInfo> KernelCommands::describe_task(std::uint64_t task) {
    auto walker = tasks();
    if (!walker) {
        return std::unexpected(walker.error());
    }
    return (*walker)->describe(task);
}

Result<std::uint64_t> KernelCommands::task_of_pid_word(std::string_view command,
                                                       std::string_view word) {
    auto pid = parse_unsigned(word);
    if (!pid || *pid > 0x7fffffff) {
        return fail_as(ErrorKind::invalid_input, "{}: {} is not a pid", command, word);
    }
    return task_by_pid(static_cast<int>(*pid));
}

KernelCommands::KernelCommands(debuginfo::DebugInfo& info, target::Target& target)
    : info_(info), target_(target), memory_(target), scope_(info) {
    modules_ = std::make_unique<kernel::ModuleDebugInfo>(
        [this]() -> kernel::Kernel* {
            auto view = kernel();
            return view ? *view : nullptr;
        },
        kernel::ModuleDebugInfo::folders_for(info.elf().path()));
    scope_.set_loaded_images(modules_.get());
}

KernelCommands::~KernelCommands() = default;

const target::VmcoreInfo* KernelCommands::recorded_vmcoreinfo() const {
    const auto* core = dynamic_cast<const target::CoreTarget*>(&target_);
    return core != nullptr && !core->vmcore_info().empty() ? &core->vmcore_info() : nullptr;
}

std::optional<std::uint64_t> KernelCommands::recorded_kaslr_offset() {
    const target::VmcoreInfo* info = recorded_vmcoreinfo();
    return info != nullptr ? info->hex("KERNELOFFSET") : std::nullopt;
}

Result<kernel::Kernel*> KernelCommands::kernel() {
    if (setup_error_) {
        return std::unexpected(*setup_error_);
    }
    if (kernel_) {
        return kernel_.get();
    }
    auto view = std::make_unique<kernel::Kernel>(info_, memory_, &memory_);
    auto kaslr = kernel::detect_kaslr_offset(*view, &memory_, recorded_kaslr_offset());
    if (!kaslr) {
        return std::unexpected(kaslr.error());
    }
    view->set_kaslr_offset(kaslr->offset);
    kaslr_method_ = kaslr->method;
    auto version = kernel::read_kernel_version(*view);
    if (!version) {
        return std::unexpected(version.error());
    }
    if (!version->matches()) {
        // Every other answer would be read through the wrong layout: refuse them all.
        setup_error_ = Error{mismatch_text(*version)};
        return std::unexpected(*setup_error_);
    }
    kernel_ = std::move(view);
    return kernel_.get();
}

bool is_list_walk(std::string_view arguments) {
    const std::string_view rest = trim(arguments);
    for (std::string_view option : {"-H", "-o", "-s", "-c"}) {
        if (rest == option || (rest.starts_with(option) && rest.size() > option.size() &&
                               rest[option.size()] == ' ')) {
            return true;
        }
    }
    return false;
}

std::optional<Result<std::string>> KernelCommands::run(std::string_view line) {
    auto args = split_words(line);
    if (args.empty()) {
        return std::nullopt;
    }
    std::string word = args.front();
    args.erase(args.begin());
    // The session spells aliases out (CommandTable); backtrace is also GDB's frame bt.
    if (word == "backtrace") {
        word = "bt";
    }
    if (word == "lx-interruptlist") { // the kernel's GDB scripts' name for irq
        word = "irq";
    }
    if (word == "lx-timerlist") {
        word = "timer";
    }
    if (word == "lx-slabinfo") { // the kernel's GDB scripts' name for kmem -s
        word = "kmem";
        args.insert(args.begin(), "-s");
    }
    static const std::string_view commands[] = {
        "current", "per-cpu", "ps",     "dmesg",   "lsmod", "vtop",    "cmdline", "version",
        "cpus",    "mounts",  "uptime", "kconfig", "bt",    "foreach", "list",    "sys",
        "kmem",    "files",   "vm",     "irq",     "sig",   "runq",    "log",     "struct",
        "task",    "waitq",   "tree",   "timer",   "dev",   "net",     "vmalloc", "search",
    };
    if (std::find(std::begin(commands), std::end(commands), word) == std::end(commands)) {
        return std::nullopt;
    }
    if (word == "list" && !is_list_walk(line.substr(line.find("list") + 4))) {
        return std::nullopt; // GDB's source listing
    }
    auto out = dispatch(word, args);
    if (!out) {
        return std::unexpected(out.error());
    }
    return without_final_newline(std::move(*out));
}

Result<std::string> KernelCommands::dispatch(std::string_view word,
                                             std::vector<std::string>& args) {
    const bool json = take_flag(args, "--json");
    if (word == "version") {
        if (auto ok = no_more(args, word); !ok) {
            return std::unexpected(ok.error());
        }
        return version(json);
    }
    if (auto ready = kernel(); !ready) {
        return std::unexpected(ready.error());
    }
    const auto simple = [&](auto&& call) -> Result<std::string> {
        if (auto ok = no_more(args, word); !ok) {
            return std::unexpected(ok.error());
        }
        return call();
    };
    if (word == "bt" || word == "foreach") {
        if (!backtraces_) {
            backtraces_ = std::make_unique<BacktraceCommands>(*this, info_, target_);
        }
        return word == "bt" ? backtraces_->bt(args, json) : backtraces_->foreach_bt(args, json);
    }
    if (word == "current") {
        return current(args, json);
    }
    if (word == "per-cpu") {
        return per_cpu(args, json);
    }
    if (word == "ps") {
        return ps(args, json);
    }
    if (word == "dmesg") {
        return simple([&] { return dmesg(json); });
    }
    if (word == "lsmod") {
        if (take_flag(args, "--symbols")) {
            return simple([&] { return module_symbols(json); });
        }
        return simple([&] { return lsmod(json); });
    }
    if (word == "vtop") {
        return vtop(args, json);
    }
    if (word == "cmdline") {
        return simple([&] { return cmdline(json); });
    }
    if (word == "cpus") {
        return simple([&] { return cpus(json); });
    }
    if (word == "mounts") {
        return mounts(args, json);
    }
    if (word == "uptime") {
        return simple([&] { return uptime(json); });
    }
    if (word == "list") {
        return list(args, json);
    }
    if (word == "sys") {
        return simple([&] { return sys(json); });
    }
    if (word == "kmem") {
        return kmem(args, json);
    }
    if (word == "vmalloc") {
        return vmalloc(args, json);
    }
    if (word == "search") {
        return search(args, json);
    }
    if (word == "files") {
        return files(args, json);
    }
    if (word == "vm") {
        return vm(args, json);
    }
    if (word == "irq") {
        return irq(args, json);
    }
    if (word == "sig") {
        return sig(args, json);
    }
    if (word == "runq") {
        return simple([&] { return runq(json); });
    }
    if (word == "log") {
        return log(args, json);
    }
    if (word == "struct") {
        return struct_command(args, json);
    }
    if (word == "task") {
        return task(args, json);
    }
    if (word == "waitq") {
        return waitq(args, json);
    }
    if (word == "tree") {
        return tree(args, json);
    }
    if (word == "timer") {
        return simple([&] { return timer(json); });
    }
    if (word == "dev") {
        return dev(args, json);
    }
    if (word == "net") {
        return net(args, json);
    }
    return simple([&] { return kconfig(); });
}

Result<std::vector<kernel::TaskInfo>> KernelCommands::every_task() {
    auto walker = tasks();
    if (!walker) {
        return std::unexpected(walker.error());
    }
    return (*walker)->all_tasks();
}

Result<kernel::TaskWalker*> KernelCommands::tasks() {
    if (!walker_) {
        auto view = kernel();
        if (!view) {
            return std::unexpected(view.error());
        }
        auto walker = kernel::TaskWalker::create(**view);
        if (!walker) {
            return std::unexpected(walker.error());
        }
        walker_.emplace(std::move(*walker));
    }
    return &*walker_;
}

Result<std::uint64_t> KernelCommands::current_task(std::optional<int> cpu) {
    auto view = kernel();
    if (!view) {
        return std::unexpected(view.error());
    }
    auto percpu = kernel::PerCpu::load(**view);
    if (!percpu) {
        return std::unexpected(percpu.error());
    }
    if (!cpu) {
        // arm64's SP_EL0 names the running task exactly, even mid-switch and in early boot.
        if (auto task = kernel::vcpu_current_task((*view)->architecture(), memory_)) {
            return *task;
        }
    }
    auto task = percpu->current_task(cpu.value_or(selected_cpu()));
    if (!task && !cpu) {
        // Before setup_per_cpu_areas() no CPU is possible yet; the selected vCPU's own per-CPU
        // base still leads to the initial copy, whose current_task is init_task.
        if (auto base = kernel::vcpu_per_cpu_base((*view)->architecture(), memory_)) {
            if (auto early = percpu->current_task_at(*base)) {
                return *early;
            }
        }
    }
    return task;
}

int KernelCommands::selected_cpu() {
    auto view = kernel();
    auto base = view ? kernel::vcpu_per_cpu_base((*view)->architecture(), memory_)
                     : std::unexpected(view.error());
    if (view && base) {
        if (auto percpu = kernel::PerCpu::load(**view)) {
            if (auto cpu = percpu->cpu_with_offset(*base)) {
                return *cpu;
            }
        }
    }
    return target_.current_vcpu();
}

Result<std::uint64_t> KernelCommands::per_cpu_address(std::uint64_t variable_address,
                                                      std::optional<int> cpu) {
    auto view = kernel();
    if (!view) {
        return std::unexpected(view.error());
    }
    auto percpu = kernel::PerCpu::load(**view);
    if (!percpu) {
        return std::unexpected(percpu.error());
    }
    auto address = percpu->address(variable_address, cpu.value_or(selected_cpu()));
    if (!address && !cpu) {
        // Before the per-CPU areas exist: the selected vCPU's base (see current_task).
        if (auto base = kernel::vcpu_per_cpu_base((*view)->architecture(), memory_)) {
            return variable_address + *base;
        }
    }
    return address;
}

Result<std::uint64_t> KernelCommands::task_by_pid(int pid) {
    auto all = every_task();
    if (!all) {
        return std::unexpected(all.error());
    }
    for (const auto& task : *all) {
        if (task.pid == pid) {
            return task.task;
        }
    }
    return fail("no task has pid {}", pid);
}

eval::FunctionHooks* KernelCommands::functions() {
    if (!functions_) {
        functions_ = std::make_unique<KernelFunctions>(*this);
    }
    return functions_.get();
}

void KernelCommands::serve(EvalCommands& eval) {
    eval_ = &eval;
    eval.set_functions(functions());
    eval.set_loaded_images(&modules());
    eval.set_load_offset_source([this]() -> std::uint64_t {
        auto view = kernel();
        return view ? (*view)->kaslr_offset() : 0;
    });
}

Result<std::string> KernelCommands::current(std::vector<std::string>& args, bool json) {
    auto cpu = take_cpu_option(args);
    if (!cpu) {
        return std::unexpected(cpu.error());
    }
    if (auto ok = no_more(args, "current"); !ok) {
        return std::unexpected(ok.error());
    }
    kernel::Kernel& view = **kernel();
    auto percpu = kernel::PerCpu::load(view);
    if (!percpu) {
        return std::unexpected(percpu.error());
    }
    auto walker = tasks();
    if (!walker) {
        return std::unexpected(walker.error());
    }
    std::vector<int> cpus = *cpu ? std::vector<int>{**cpu} : percpu->online();
    std::vector<CurrentRow> rows;
    std::string notes;
    for (int n : cpus) {
        auto now = percpu->current(n);
        if (!now) {
            return std::unexpected(now.error());
        }
        auto task = (*walker)->describe(now->task);
        if (!task) {
            return std::unexpected(task.error());
        }
        const auto info_offset = (*walker)->thread_info_offset();
        task->task = now->task;
        rows.push_back(
            {n, *task,
             info_offset ? std::optional<std::uint64_t>(now->task + *info_offset) : std::nullopt});
        if (now->runqueue_curr != 0 && now->runqueue_curr != now->task) {
            notes +=
                fmt::format("note: CPU {}: runqueues.curr is {} while {} is {} (a context "
                            "switch in progress)\n",
                            n, hex(now->runqueue_curr), percpu->current_source(), hex(now->task));
        }
    }
    if (cpus.empty()) {
        // Early boot (start_kernel before the CPU masks are filled): the boot vCPU's per-CPU
        // base leads to the initial per-CPU data, whose current_task is init_task.
        auto base = kernel::vcpu_per_cpu_base(view.architecture(), memory_);
        auto now = base ? percpu->current_task_at(*base) : std::unexpected(base.error());
        if (auto held = kernel::vcpu_current_task(view.architecture(), memory_)) {
            now = *held;
        }
        if (!now) {
            return wrap(now.error(), "no CPU is online yet, and the selected vCPU's per-CPU "
                                     "base gives no current task");
        }
        auto task = (*walker)->describe(*now);
        if (!task) {
            return std::unexpected(task.error());
        }
        task->task = *now;
        const auto info_offset = (*walker)->thread_info_offset();
        rows.push_back(
            {target_.current_vcpu(), *task,
             info_offset ? std::optional<std::uint64_t>(*now + *info_offset) : std::nullopt});
        notes += fmt::format("note: no CPU is online yet (early boot): vCPU {}'s task, read "
                             "through its per-CPU base {}\n",
                             target_.current_vcpu(), hex(*base));
    }
    if (json) {
        return current_json(rows);
    }
    const auto info_offset = (*walker)->thread_info_offset();
    std::string text = current_text(rows);
    text += notes;
    text += fmt::format("(current from per-CPU {}; {})", percpu->current_source(),
                        info_offset ? fmt::format("thread_info is task_struct.thread_info at "
                                                  "offset {} (THREAD_INFO_IN_TASK)",
                                                  *info_offset)
                                    : std::string("thread_info is not inside task_struct"));
    return text;
}

Result<std::string> KernelCommands::per_cpu(std::vector<std::string>& args, bool json) {
    auto cpu_option = take_cpu_option(args);
    if (!cpu_option) {
        return std::unexpected(cpu_option.error());
    }
    if (args.empty() || args.size() > 2) {
        return fail("usage: per-cpu VARIABLE [CPU] [--json]");
    }
    std::optional<int> cpu = *cpu_option;
    if (args.size() == 2) {
        auto parsed = parse_number(args[1], "CPU number");
        if (!parsed) {
            return std::unexpected(parsed.error());
        }
        cpu = static_cast<int>(*parsed);
    }
    kernel::Kernel& view = **kernel();
    // "runqueues.nr_running": a member of the per-CPU variable.
    const std::string name = args[0].substr(0, args[0].find('.'));
    const std::string member =
        name.size() < args[0].size() ? args[0].substr(name.size() + 1) : std::string();
    auto variable = view.variable(name);
    if (!variable) {
        return std::unexpected(variable.error());
    }
    if (!member.empty()) {
        if (variable->type == nullptr) {
            return fail("'{}' has no type in the debug info", name);
        }
        const kernel::StructLayout layout(&info_, variable->type, name);
        auto field = layout.require(member);
        if (!field) {
            return std::unexpected(field.error());
        }
        if (field->bit_size != 0) {
            return fail("per-cpu: {} is a bitfield; print it with p", args[0]);
        }
        variable->address += field->offset;
        variable->type = field->type;
    }
    const debuginfo::Symbol* symbol = info_.symbols().find(name);
    const bool is_per_cpu =
        variable->per_cpu ||
        (symbol != nullptr && symbol->section_index > 0 &&
         symbol->section_index <= info_.elf().sections().size() &&
         info_.elf().sections()[symbol->section_index - 1].name.starts_with(".data..percpu"));
    if (!is_per_cpu) {
        return fail("'{}' is not a per-CPU variable", name);
    }
    auto percpu = kernel::PerCpu::load(view);
    if (!percpu) {
        return std::unexpected(percpu.error());
    }
    std::vector<int> cpus = cpu ? std::vector<int>{*cpu} : percpu->possible();
    std::vector<PerCpuRow> rows;
    eval::ValuePrinter printer(scope_, &memory_);
    for (int n : cpus) {
        auto address = percpu->address(variable->address, n);
        if (!address) {
            return std::unexpected(address.error());
        }
        std::string value;
        if (variable->type != nullptr) {
            auto printed = printer.format(eval::Value::at(variable->type, *address));
            value = printed ? *printed : fmt::format("<error: {}>", printed.error().message);
        } else {
            auto raw = view.read_u64(*address);
            value = raw ? hex(*raw) : fmt::format("<error: {}>", raw.error().message);
        }
        rows.push_back({n, *address, std::move(value)});
    }
    return json ? per_cpu_json(rows) : per_cpu_text(rows);
}

Result<std::string> KernelCommands::dmesg(bool json) {
    auto records = kernel::read_kernel_log(**kernel());
    if (!records) {
        return std::unexpected(records.error());
    }
    return json ? dmesg_json(*records) : dmesg_text(*records);
}

Result<std::string> KernelCommands::lsmod(bool json) {
    auto modules = kernel::list_modules(**kernel());
    if (!modules) {
        return std::unexpected(modules.error());
    }
    return json ? lsmod_json(*modules) : lsmod_text(*modules);
}

Result<std::string> KernelCommands::module_symbols(bool json) {
    auto files = modules_->symbol_files();
    return json ? module_symbols_json(files) : module_symbols_text(files);
}

Result<std::pair<std::uint64_t, std::string>> KernelCommands::task_pgd(std::uint64_t pid) {
    kernel::Kernel& view = **kernel();
    auto walker = tasks();
    if (!walker) {
        return std::unexpected(walker.error());
    }
    auto all = (*walker)->all_tasks();
    if (!all) {
        return std::unexpected(all.error());
    }
    auto found = std::find_if(all->begin(), all->end(), [&](const auto& t) {
        return static_cast<std::uint64_t>(t.pid) == pid;
    });
    if (found == all->end()) {
        return fail("vtop: no task with pid {}", pid);
    }
    auto task_layout = view.layout("task_struct");
    auto mm_layout = view.layout("mm_struct");
    if (!task_layout || !mm_layout) {
        return std::unexpected(!task_layout ? task_layout.error() : mm_layout.error());
    }
    auto mm_offset = (*task_layout)->offset("mm");
    auto pgd_offset = (*mm_layout)->offset("pgd");
    if (!mm_offset || !pgd_offset) {
        return std::unexpected(!mm_offset ? mm_offset.error() : pgd_offset.error());
    }
    auto mm = view.read_u64(found->task + *mm_offset);
    if (!mm) {
        return std::unexpected(mm.error());
    }
    if (*mm == 0) {
        return fail("vtop: pid {} ({}) is a kernel thread: it has no mm", pid,
                    terminal_text(found->comm));
    }
    auto pgd = view.read_u64(*mm + *pgd_offset);
    if (!pgd) {
        return std::unexpected(pgd.error());
    }
    return std::make_pair(
        *pgd, fmt::format("mm->pgd {} of pid {} ({})", hex(*pgd), pid, terminal_text(found->comm)));
}

Result<std::string> KernelCommands::vtop(std::vector<std::string>& args, bool json) {
    std::optional<std::uint64_t> pid;
    for (std::size_t i = 0; i + 1 < args.size(); ++i) {
        if (args[i] == "--pid") {
            auto parsed = parse_number(args[i + 1], "pid");
            if (!parsed) {
                return std::unexpected(parsed.error());
            }
            pid = *parsed;
            args.erase(args.begin() + static_cast<long>(i),
                       args.begin() + static_cast<long>(i) + 2);
            break;
        }
    }
    if (args.size() != 1) {
        return fail("usage: vtop ADDRESS [--pid PID] [--json]");
    }
    kernel::Kernel& view = **kernel();
    auto address = parse_number(args[0], "address");
    if (!address) {
        auto symbol = view.address_of(args[0]);
        if (!symbol) {
            return fail("vtop: '{}' is neither an address nor a symbol", args[0]);
        }
        address = *symbol;
    }
    if (view.architecture().machine == arch::Machine::aarch64) {
        return vtop_arm64(*address, pid, json);
    }
    auto tables = x86_64_tables();
    if (!tables) {
        return std::unexpected(tables.error());
    }
    auto [root, five_level, source] = *tables;
    if (pid) {
        auto found = task_pgd(*pid);
        if (!found) {
            return std::unexpected(found.error());
        }
        const std::uint64_t* pgd = &found->first;
        // mm->pgd is a direct-map address; the kernel half of every page table maps it.
        arch::x86_64::PageTableWalker kernel_walker(memory_, root, five_level);
        auto pgd_physical = kernel_walker.translate(*pgd);
        if (!pgd_physical) {
            return std::unexpected(pgd_physical.error());
        }
        if (!pgd_physical->physical) {
            return fail("vtop: pid {}'s pgd {} is not mapped", *pid, hex(*pgd));
        }
        root = *pgd_physical->physical;
        source = found->second;
    }
    arch::x86_64::PageTableWalker walker(memory_, root, five_level);
    auto translation = walker.translate(*address);
    if (!translation) {
        return std::unexpected(translation.error());
    }
    if (json) {
        Json steps = Json::array();
        for (const auto& step : translation->steps) {
            steps.push_back({{"level", step.level},
                             {"index", step.index},
                             {"entry_address", hex(step.entry_address)},
                             {"entry", hex(step.entry)},
                             {"present", step.present},
                             {"large", step.large}});
        }
        Json out = {{"address", hex(*address)},
                    {"root", hex(root)},
                    {"levels", five_level ? 5 : 4},
                    {"steps", steps}};
        out["physical"] = translation->physical ? Json(hex(*translation->physical)) : Json();
        out["page_size"] = translation->page_size;
        return dump_json(out);
    }
    std::string text = fmt::format("{} through {} ({}-level paging, root at physical {})\n",
                                   hex(*address), source, five_level ? 5 : 4, hex(root));
    for (const auto& step : translation->steps) {
        text += fmt::format("  {:<4} [{:3}] @ {:#014x} = {:#018x}{}\n", step.level, step.index,
                            step.entry_address, step.entry,
                            !step.present ? "  not present"
                            : step.large
                                ? fmt::format("  {} page", step.level == "PDPT" ? "1 GiB" : "2 MiB")
                                : std::string());
    }
    if (translation->physical) {
        text += fmt::format("physical {} ({} KiB page)\n", hex(*translation->physical),
                            translation->page_size / 1024);
    } else {
        text += fmt::format("{} is not mapped\n", hex(*address));
    }
    return text;
}

Result<KernelCommands::PageTables> KernelCommands::x86_64_tables() {
    auto cr3 = memory_.read_register("cr3");
    if (cr3 && *cr3 != 0) {
        auto cr4 = memory_.read_register("cr4");
        return PageTables{arch::x86_64::PageTableWalker::root_from_cr3(*cr3),
                          cr4 && arch::x86_64::PageTableWalker::five_level_from_cr4(*cr4),
                          fmt::format("CR3 {} of CPU {}", hex(*cr3), selected_cpu())};
    }
    // A dump whose notes hold no control registers (kdump's NT_PRSTATUS): the kernel's own
    // tables, which VMCOREINFO places.
    const target::VmcoreInfo* info = recorded_vmcoreinfo();
    const auto root =
        info != nullptr ? arch::x86_64::kernel_root_from_vmcoreinfo(*info) : std::nullopt;
    if (!root) {
        if (!cr3) {
            return std::unexpected(cr3.error());
        }
        return fail("vtop: CPU {} has no CR3 and no VMCOREINFO places the kernel's page tables",
                    selected_cpu());
    }
    return PageTables{*root, info->decimal("NUMBER(pgtable_l5_enabled)").value_or(0) != 0,
                      "the kernel's tables (VMCOREINFO's init_top_pgt)"};
}

Result<std::string> KernelCommands::cmdline(bool json) {
    auto line = kernel::read_command_line(**kernel());
    if (!line) {
        return std::unexpected(line.error());
    }
    return json ? cmdline_json(*line) : cmdline_text(*line);
}

Result<std::string> KernelCommands::version(bool json) {
    auto view = kernel();
    std::optional<kernel::KernelVersion> version;
    if (view) {
        auto read = kernel::read_kernel_version(**view);
        if (!read) {
            return std::unexpected(read.error());
        }
        version = *read;
    } else {
        // A mismatch: still show both banners, read where the running kernel has its own.
        kernel::Kernel probe(info_, memory_, &memory_);
        auto kaslr = kernel::detect_kaslr_offset(probe, &memory_, recorded_kaslr_offset());
        if (!kaslr) {
            return std::unexpected(view.error());
        }
        probe.set_kaslr_offset(kaslr->offset);
        auto read = kernel::read_kernel_version(probe);
        if (!read) {
            return std::unexpected(view.error());
        }
        version = *read;
    }
    const std::uint64_t offset = kernel_ ? kernel_->kaslr_offset() : 0;
    return json ? version_json(*version, offset) : version_text(*version, offset, kaslr_method_);
}

Result<std::string> KernelCommands::cpus(bool json) {
    auto percpu = kernel::PerCpu::load(**kernel());
    if (!percpu) {
        return std::unexpected(percpu.error());
    }
    // A dump of a crashed kernel: the CPU that ran panic() is where to look first.
    auto panicked = kernel::panicked_cpu(**kernel(), percpu->nr_cpu_ids());
    const int panic_cpu = panicked && *panicked ? **panicked : -1;
    Json rows = Json::array();
    std::string text = fmt::format("{:>3} {:<7} {:<18} {:<18} {}\n", "CPU", "STATE",
                                   "PER_CPU_OFFSET", "CURRENT", "");
    for (int cpu : percpu->possible()) {
        auto offset = percpu->offset(cpu);
        const bool online = percpu->is_online(cpu);
        std::uint64_t task = 0;
        if (online) {
            auto current = percpu->current_task(cpu);
            task = current ? *current : 0;
        }
        rows.push_back({{"cpu", cpu},
                        {"online", online},
                        {"per_cpu_offset", hex(offset ? *offset : 0)},
                        {"current", hex(task)},
                        {"panicked", panic_cpu == cpu}});
        text += fmt::format("{:>3} {:<7} {:<18} {:<18}{}\n", cpu, online ? "online" : "offline",
                            hex(offset ? *offset : 0), online ? hex(task) : std::string("-"),
                            panic_cpu == cpu ? " panicked" : "");
    }
    if (json) {
        return dump_json(Json::object({{"nr_cpu_ids", percpu->nr_cpu_ids()},
                                       {"possible", percpu->possible().size()},
                                       {"online", percpu->online().size()},
                                       {"zero_based_per_cpu", percpu->zero_based()},
                                       {"panic_cpu", panic_cpu >= 0 ? Json(panic_cpu) : Json()},
                                       {"cpus", rows}}));
    }
    text += fmt::format("nr_cpu_ids {}, {} possible, {} online; per-CPU symbols are {}",
                        percpu->nr_cpu_ids(), percpu->possible().size(), percpu->online().size(),
                        percpu->zero_based() ? "offsets (zero-based per-CPU area)"
                                             : "kernel addresses (per-CPU area not zero-based)");
    if (panic_cpu >= 0) {
        text += fmt::format("\nthe kernel panicked on CPU {}", panic_cpu);
    }
    return text;
}

Result<std::string> KernelCommands::mounts(std::vector<std::string>& args, bool json) {
    if (auto ok = no_more(args, "mounts"); !ok) {
        return std::unexpected(ok.error());
    }
    auto list = kernel::list_mounts(**kernel());
    if (!list) {
        return std::unexpected(list.error());
    }
    return json ? mounts_json(*list) : mounts_text(*list);
}

Result<std::string> KernelCommands::uptime(bool json) {
    auto up = kernel::read_uptime(**kernel());
    if (!up) {
        return std::unexpected(up.error());
    }
    if (json) {
        return dump_json(
            Json::object({{"seconds", up->seconds}, {"jiffies", up->jiffies}, {"hz", up->hz}}));
    }
    const auto total = static_cast<std::uint64_t>(up->seconds);
    return fmt::format("up {:.2f} s ({}:{:02}:{:02}), jiffies_64 {}, HZ {}", up->seconds,
                       total / 3600, total / 60 % 60, total % 60, up->jiffies, up->hz);
}

Result<std::string> KernelCommands::kconfig() {
    auto config = kernel::read_kernel_config(**kernel());
    if (!config) {
        return std::unexpected(config.error());
    }
    return kconfig_text(*config);
}

} // namespace kdive::cli
