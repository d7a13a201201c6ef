// Wires an unwinder to a kernel: ORC tables from vmlinux (file) and modules (memory), code
// ranges, pt_regs and stack sizes from the debug info; and the two kinds of start registers.
#include "kernel/stack_unwinder.hpp"

#include "kernel/frame_pointer_unwinder.hpp"
#include "kernel/frame_record_unwinder.hpp"
#include "kernel/module_list.hpp"
#include "kernel/orc_unwinder.hpp"
#include "kernel/unwind_environment.hpp"

#include <algorithm>
#include <map>

namespace kdive::kernel {

namespace {

// A module's ORC table is bounded like the module itself; more is a corrupt struct module.
constexpr std::uint64_t max_module_orcs = 4'000'000;

// Kernel and module code ranges, and the modules' ORC tables, read once per stop.
class KernelCode {
public:
    explicit KernelCode(Kernel& kernel) : kernel_(kernel) {
        add_image_range("_stext", "_etext");
        add_image_range("_sinittext", "_einittext");
    }

    bool in_image(std::uint64_t pc) const {
        return std::any_of(image_.begin(), image_.end(), [pc](const auto& range) {
            return pc >= range.first && pc < range.second;
        });
    }
    const ModuleInfo* module_at(std::uint64_t pc) {
        load_modules();
        for (const ModuleInfo& module : modules_) {
            if (pc >= module.base && pc < module.base + module.size) {
                return &module;
            }
        }
        return nullptr;
    }
    bool is_code(std::uint64_t pc) { return in_image(pc) || module_at(pc) != nullptr; }
    std::optional<std::uint64_t> function_start(std::uint64_t pc) const {
        if (!in_image(pc)) {
            return std::nullopt;
        }
        auto found = kernel_.info().symbols().lookup(kernel_.unrelocate(pc));
        if (!found || found->symbol == nullptr) {
            return std::nullopt;
        }
        return pc - found->offset;
    }
    void invalidate() {
        modules_loaded_ = false;
        modules_.clear();
        module_tables_.clear();
    }

    // The module's own ORC table (mod->arch), read from memory the first time it is needed.
    Result<const OrcTable*> module_table(const ModuleInfo& module, OrcFormat format,
                                         const OrcRegisterMap& registers) {
        if (auto found = module_tables_.find(module.module); found != module_tables_.end()) {
            return found->second ? &*found->second : nullptr;
        }
        auto table = read_module_table(module, format, registers);
        if (!table) {
            return std::unexpected(table.error());
        }
        auto& stored = module_tables_[module.module];
        stored = std::move(*table);
        return stored ? &*stored : nullptr;
    }

private:
    void add_image_range(std::string_view start, std::string_view end) {
        auto low = kernel_.address_of(start);
        auto high = kernel_.address_of(end);
        if (low && high && *low < *high) {
            image_.emplace_back(*low, *high);
        }
    }
    void load_modules() {
        if (modules_loaded_) {
            return;
        }
        modules_loaded_ = true;
        if (auto modules = list_modules(kernel_)) {
            modules_ = std::move(*modules);
        }
    }
    Result<std::optional<OrcTable>> read_module_table(const ModuleInfo& module, OrcFormat format,
                                                      const OrcRegisterMap& registers) {
        auto layout = kernel_.layout("module");
        if (!layout) {
            return std::unexpected(layout.error());
        }
        const auto count = (*layout)->field("arch.num_orcs");
        const auto ips = (*layout)->field("arch.orc_unwind_ip");
        const auto entries = (*layout)->field("arch.orc_unwind");
        if (!count || !ips || !entries) {
            return std::optional<OrcTable>{};
        }
        const std::uint64_t lo = std::min({count->offset, ips->offset, entries->offset});
        const std::uint64_t hi =
            std::max({count->offset + count->size, ips->offset + 8, entries->offset + 8});
        auto record = kernel_.read(module.module + lo, hi - lo);
        if (!record) {
            return wrap(record.error(), fmt::format("reading module {}'s ORC table", module.name));
        }
        const std::uint64_t num = record->uint(count->offset - lo, count->size);
        const std::uint64_t ip_table = record->u64(ips->offset - lo);
        const std::uint64_t entry_table = record->u64(entries->offset - lo);
        if (num == 0 || ip_table == 0 || entry_table == 0) {
            return std::optional<OrcTable>{};
        }
        if (num > max_module_orcs) {
            return fail("module {} claims {} ORC entries", module.name, num);
        }
        auto ip_bytes = kernel_.read(ip_table, num * 4);
        auto entry_bytes = kernel_.read(entry_table, num * orc_entry_size);
        if (!ip_bytes || !entry_bytes) {
            return wrap(!ip_bytes ? ip_bytes.error() : entry_bytes.error(),
                        fmt::format("reading module {}'s ORC table", module.name));
        }
        auto table =
            OrcTable::build(ip_bytes->bytes(), ip_table, entry_bytes->bytes(), format, registers);
        if (!table) {
            return wrap(table.error(), fmt::format("module {}", module.name));
        }
        return std::optional<OrcTable>(std::move(*table));
    }

    Kernel& kernel_;
    std::vector<std::pair<std::uint64_t, std::uint64_t>> image_;
    bool modules_loaded_ = false;
    std::vector<ModuleInfo> modules_;
    std::map<std::uint64_t, std::optional<OrcTable>> module_tables_;
};

// vmlinux's table (link-time ips, looked up with KASLR undone), then the modules'.
class KernelOrcSource final : public OrcSource {
public:
    KernelOrcSource(Kernel& kernel, std::shared_ptr<KernelCode> code, OrcTable vmlinux,
                    OrcFormat format, const OrcRegisterMap& registers)
        : kernel_(kernel), code_(std::move(code)), vmlinux_(std::move(vmlinux)), format_(format),
          registers_(registers) {}

    Result<std::optional<OrcEntry>> find(std::uint64_t ip) override {
        if (code_->in_image(ip)) {
            return vmlinux_.find(kernel_.unrelocate(ip));
        }
        const ModuleInfo* module = code_->module_at(ip);
        if (module == nullptr) {
            return std::optional<OrcEntry>{};
        }
        auto table = code_->module_table(*module, format_, registers_);
        if (!table) {
            return std::unexpected(table.error());
        }
        if (*table == nullptr) {
            return std::optional<OrcEntry>{};
        }
        return (*table)->find(ip);
    }
    void invalidate() override { code_->invalidate(); }

private:
    Kernel& kernel_;
    std::shared_ptr<KernelCode> code_;
    OrcTable vmlinux_;
    OrcFormat format_;
    OrcRegisterMap registers_;
};

PtRegsLayout arm64_pt_regs_layout(Kernel& kernel) {
    PtRegsLayout layout = PtRegsLayout::aarch64();
    const StructLayout* regs = kernel.find_layout("pt_regs");
    if (regs == nullptr) {
        return layout;
    }
    if (auto first = regs->field("regs")) {
        for (std::uint32_t reg = 0; reg < 31; ++reg) {
            layout.offsets[reg] = static_cast<std::uint32_t>(first->offset) + 8 * reg;
        }
    }
    if (auto sp = regs->field("sp")) {
        layout.offsets[31] = static_cast<std::uint32_t>(sp->offset);
    }
    if (auto pc = regs->field("pc")) {
        layout.offsets[32] = static_cast<std::uint32_t>(pc->offset);
    }
    if (auto pstate = regs->field("pstate")) {
        layout.cs = static_cast<std::uint32_t>(pstate->offset);
    }
    if (auto frame = regs->field("stackframe")) {
        layout.stackframe = static_cast<std::uint32_t>(frame->offset);
    }
    layout.size = static_cast<std::uint32_t>(regs->size());
    return layout;
}

PtRegsLayout pt_regs_layout(Kernel& kernel) {
    if (kernel.architecture().machine == arch::Machine::aarch64) {
        return arm64_pt_regs_layout(kernel);
    }
    PtRegsLayout layout = PtRegsLayout::x86_64();
    const StructLayout* regs = kernel.find_layout("pt_regs");
    if (regs == nullptr) {
        return layout;
    }
    constexpr std::array<std::string_view, dwarf_register_count> members = {
        "ax", "dx",  "cx",  "bx",  "si",  "di",  "bp",  "sp", "r8",
        "r9", "r10", "r11", "r12", "r13", "r14", "r15", "ip"};
    for (std::size_t reg = 0; reg < dwarf_register_count; ++reg) {
        if (auto field = regs->field(members[reg])) {
            layout.offsets[reg] = static_cast<std::uint32_t>(field->offset);
        }
    }
    if (auto cs = regs->field("cs")) {
        layout.cs = static_cast<std::uint32_t>(cs->offset);
    }
    layout.size = static_cast<std::uint32_t>(regs->size());
    return layout;
}

OrcFormat orc_format(Kernel& kernel, std::span<const std::byte> entries) {
    if (const StructLayout* entry = kernel.find_layout("orc_entry")) {
        if (entry->has("signal")) {
            return OrcFormat::signal_bit;
        }
        if (entry->has("end")) {
            return OrcFormat::end_bit;
        }
    }
    return guess_orc_format(entries);
}

} // namespace

std::string_view dwarf_register_name(std::size_t reg) {
    return dwarf_register_name(arch::x86_64_architecture(), reg);
}

std::string_view dwarf_register_name(const arch::Architecture& arch, std::size_t reg) {
    std::string_view name = arch.dwarf_name(reg);
    return name.empty() ? "?" : name;
}

Result<std::unique_ptr<StackUnwinder>> StackUnwinder::create(Kernel& kernel) {
    auto code = std::make_shared<KernelCode>(kernel);
    UnwindEnvironment env;
    env.memory = &kernel.memory();
    env.pt_regs = pt_regs_layout(kernel);
    env.is_code = [code](std::uint64_t pc) { return code->is_code(pc); };
    env.function_start = [code](std::uint64_t pc) { return code->function_start(pc); };
    env.stack_size = thread_size(kernel);
    env.arch = &kernel.architecture();

    if (env.arch->machine == arch::Machine::aarch64) {
        FrameRecordFacts facts;
        if (auto low = kernel.address_of("__entry_text_start")) {
            if (auto high = kernel.address_of("__entry_text_end")) {
                facts.entry_text_start = *low;
                facts.entry_text_end = *high;
            }
        }
        if (auto vectors = kernel.address_of("vectors")) {
            facts.vector_tables.push_back(*vectors);
        }
        if (auto hardened = kernel.address_of("__bp_harden_el1_vectors")) {
            // One table per Spectre-BHB mitigation, back to back.
            for (std::uint64_t table = 0; table < 4; ++table) {
                facts.vector_tables.push_back(*hardened + table * vector_table_size);
            }
        }
        if (const StructLayout* meta = kernel.find_layout("frame_record_meta")) {
            if (auto type = meta->field("type")) {
                facts.has_meta = true;
                facts.meta_type_offset = static_cast<std::uint32_t>(type->offset);
            }
        }
        return std::unique_ptr<StackUnwinder>(std::make_unique<FrameRecordUnwinder>(env, facts));
    }

    const debuginfo::ElfFile& elf = kernel.info().elf();
    const debuginfo::ElfSection* ip_section = elf.find_section(".orc_unwind_ip");
    const debuginfo::ElfSection* entry_section = elf.find_section(".orc_unwind");
    if (ip_section == nullptr || entry_section == nullptr || entry_section->size == 0) {
        return std::unique_ptr<StackUnwinder>(std::make_unique<FramePointerUnwinder>(env));
    }
    auto ip_bytes = elf.section_bytes(*ip_section);
    auto entry_bytes = elf.section_bytes(*entry_section);
    if (!ip_bytes || !entry_bytes) {
        return wrap(!ip_bytes ? ip_bytes.error() : entry_bytes.error(), "reading vmlinux ORC");
    }
    const OrcFormat format = orc_format(kernel, *entry_bytes);
    const OrcRegisterMap registers = detect_orc_registers(*entry_bytes, format);
    auto table = OrcTable::build(*ip_bytes, ip_section->address, *entry_bytes, format, registers);
    if (!table) {
        return wrap(table.error(), "vmlinux");
    }
    // 5.12 changed ORC_REG_SP_INDIRECT together with the IRQ stack switch that replaced
    // asm_call_on_stack (commit "x86/unwind/orc: Change REG_SP_INDIRECT").
    const SpIndirect sp_indirect = kernel.has_symbol("asm_call_on_stack")
                                       ? SpIndirect::offset_then_load
                                       : SpIndirect::load_then_offset;
    auto source =
        std::make_unique<KernelOrcSource>(kernel, code, std::move(*table), format, registers);
    return std::unique_ptr<StackUnwinder>(
        std::make_unique<OrcUnwinder>(env, std::move(source), sp_indirect));
}

Result<RegisterSet> vcpu_registers(const arch::Architecture& arch,
                                   eval::RegisterReader& registers) {
    RegisterSet out;
    out.arch = &arch;
    for (std::size_t reg = 0; reg < arch.dwarf_names.size(); ++reg) {
        auto value = registers.read_register(arch.dwarf_names[reg]);
        if (!value) {
            return wrap(value.error(), "reading the vCPU's registers");
        }
        out.regs[reg] = *value;
    }
    return out;
}

namespace {

// Where a sleeping task's saved registers sit, from the debug info.
struct SwitchFrameLayout {
    std::uint64_t thread_sp = 0; // offsetof(task_struct, thread.sp)
    std::uint64_t size = 0;      // sizeof(struct inactive_task_frame)
    Field ret_addr;
    std::vector<std::pair<std::size_t, Field>> saved; // callee-saved registers
};

Result<SwitchFrameLayout> switch_frame_layout(Kernel& kernel) {
    auto task_layout = kernel.layout("task_struct");
    auto frame_layout = kernel.layout("inactive_task_frame");
    if (!task_layout || !frame_layout) {
        return std::unexpected(!task_layout ? task_layout.error() : frame_layout.error());
    }
    auto sp_offset = (*task_layout)->offset("thread.sp");
    if (!sp_offset) {
        return std::unexpected(sp_offset.error());
    }
    const StructLayout& frame = **frame_layout;
    auto ret_addr = frame.require("ret_addr");
    if (!ret_addr) {
        return std::unexpected(ret_addr.error());
    }
    SwitchFrameLayout out;
    out.thread_sp = *sp_offset;
    out.size = frame.size();
    out.ret_addr = *ret_addr;
    const std::array<std::pair<std::size_t, std::string_view>, 6> saved = {{{reg_rbp, "bp"},
                                                                            {reg_rbx, "bx"},
                                                                            {reg_r12, "r12"},
                                                                            {reg_r13, "r13"},
                                                                            {reg_r14, "r14"},
                                                                            {reg_r15, "r15"}}};
    for (const auto& [reg, name] : saved) {
        if (auto field = frame.field(name)) {
            out.saved.emplace_back(reg, *field);
        }
    }
    return out;
}

RegisterSet switch_frame_registers(const SwitchFrameLayout& layout, const Record& frame,
                                   std::uint64_t sp) {
    RegisterSet out;
    out.regs[reg_rip] = frame.get(layout.ret_addr);
    // __switch_to_asm popped the frame before returning to ret_addr.
    out.regs[reg_rsp] = sp + layout.size;
    for (const auto& [reg, field] : layout.saved) {
        out.regs[reg] = frame.get(field);
    }
    return out;
}

// arm64: cpu_switch_to saves x19-x28, fp, sp and its return address (pc) in
// task->thread.cpu_context.
struct CpuContextLayout {
    std::uint64_t offset = 0; // offsetof(task_struct, thread.cpu_context)
    std::uint64_t size = 0;
    std::vector<std::pair<std::size_t, Field>> registers; // by DWARF number
};

Result<CpuContextLayout> cpu_context_layout(Kernel& kernel) {
    auto task_layout = kernel.layout("task_struct");
    auto context_layout = kernel.layout("cpu_context");
    if (!task_layout || !context_layout) {
        return std::unexpected(!task_layout ? task_layout.error() : context_layout.error());
    }
    auto offset = (*task_layout)->offset("thread.cpu_context");
    if (!offset) {
        return std::unexpected(offset.error());
    }
    CpuContextLayout out;
    out.offset = *offset;
    out.size = (*context_layout)->size();
    for (std::size_t reg = 19; reg <= 28; ++reg) {
        if (auto field = (*context_layout)->field(fmt::format("x{}", reg))) {
            out.registers.emplace_back(reg, *field);
        }
    }
    const std::array<std::pair<std::size_t, std::string_view>, 3> named = {
        {{29, "fp"}, {31, "sp"}, {32, "pc"}}};
    for (const auto& [reg, name] : named) {
        auto field = (*context_layout)->require(name);
        if (!field) {
            return std::unexpected(field.error());
        }
        out.registers.emplace_back(reg, *field);
    }
    return out;
}

RegisterSet cpu_context_registers(const CpuContextLayout& layout, const Record& context) {
    RegisterSet out;
    out.arch = &arch::aarch64_architecture();
    for (const auto& [reg, field] : layout.registers) {
        out.regs[reg] = context.get(field);
    }
    if (out.regs[32]) {
        out.regs[32] = arch::strip_pointer_auth(*out.regs[32]);
    }
    return out;
}

Result<std::vector<Result<SleepingTaskStart>>>
arm64_sleeping_task_starts(Kernel& kernel, std::span<const std::uint64_t> tasks) {
    auto layout = cpu_context_layout(kernel);
    if (!layout) {
        return std::unexpected(layout.error());
    }
    std::vector<eval::ReadRange> reads;
    for (std::uint64_t task : tasks) {
        reads.push_back({task + layout->offset, static_cast<std::size_t>(layout->size)});
    }
    auto contexts = kernel.memory().read_many(reads);
    std::vector<Result<SleepingTaskStart>> out;
    for (std::size_t i = 0; i < tasks.size(); ++i) {
        if (!contexts) {
            // One unreadable context fails the whole batch: read each alone.
            auto registers = sleeping_task_registers(kernel, tasks[i]);
            if (!registers) {
                out.push_back(std::unexpected(registers.error()));
            } else {
                out.push_back(SleepingTaskStart{*registers, 0, {}});
            }
            continue;
        }
        Record context(std::move((*contexts)[i]), tasks[i] + layout->offset);
        out.push_back(SleepingTaskStart{cpu_context_registers(*layout, context), 0, {}});
    }
    return out;
}

} // namespace

Result<std::vector<Result<SleepingTaskStart>>>
sleeping_task_starts(Kernel& kernel, std::span<const std::uint64_t> tasks) {
    if (kernel.architecture().machine == arch::Machine::aarch64) {
        return arm64_sleeping_task_starts(kernel, tasks);
    }
    auto layout = switch_frame_layout(kernel);
    if (!layout) {
        return std::unexpected(layout.error());
    }
    std::vector<eval::ReadRange> sp_reads;
    for (std::uint64_t task : tasks) {
        sp_reads.push_back({task + layout->thread_sp, 8});
    }
    auto sps = kernel.memory().read_many(sp_reads);
    if (!sps) {
        return std::unexpected(sps.error());
    }
    std::vector<eval::ReadRange> stack_reads;
    std::vector<std::uint64_t> stack_addresses;
    for (const auto& bytes : *sps) {
        const std::uint64_t sp = Record(bytes).u64(0);
        const std::uint64_t page_end = (sp | 0xfff) + 1;
        const std::uint64_t end = std::min(page_end, sp + StackWindowMemory::stack_window);
        // A frame that crosses the page end is read on its own below.
        const std::uint64_t length = std::max<std::uint64_t>(end - sp, layout->size);
        stack_addresses.push_back(sp);
        stack_reads.push_back({sp, static_cast<std::size_t>(length)});
    }
    auto stacks = kernel.memory().read_many(stack_reads);
    std::vector<Result<SleepingTaskStart>> out;
    for (std::size_t i = 0; i < tasks.size(); ++i) {
        const std::uint64_t sp = stack_addresses[i];
        if (!stacks) {
            // One unreadable stack fails the whole batch: fall back to reading each alone.
            auto registers = sleeping_task_registers(kernel, tasks[i]);
            if (!registers) {
                out.push_back(std::unexpected(registers.error()));
            } else {
                out.push_back(SleepingTaskStart{*registers, 0, {}});
            }
            continue;
        }
        Record frame((*stacks)[i], sp);
        out.push_back(SleepingTaskStart{switch_frame_registers(*layout, frame, sp), sp,
                                        std::move((*stacks)[i])});
    }
    return out;
}

Result<RegisterSet> sleeping_task_registers(Kernel& kernel, std::uint64_t task) {
    if (kernel.architecture().machine == arch::Machine::aarch64) {
        auto layout = cpu_context_layout(kernel);
        if (!layout) {
            return std::unexpected(layout.error());
        }
        auto context = kernel.read(task + layout->offset, layout->size);
        if (!context) {
            return wrap(context.error(),
                        fmt::format("reading thread.cpu_context of task {:#x}", task));
        }
        return cpu_context_registers(*layout, *context);
    }
    auto layout = switch_frame_layout(kernel);
    if (!layout) {
        return std::unexpected(layout.error());
    }
    auto sp = kernel.read_u64(task + layout->thread_sp);
    if (!sp) {
        return wrap(sp.error(), fmt::format("reading thread.sp of task {:#x}", task));
    }
    auto frame = kernel.read(*sp, layout->size);
    if (!frame) {
        return wrap(frame.error(),
                    fmt::format("reading the saved frame of task {:#x} at {:#x}", task, *sp));
    }
    return switch_frame_registers(*layout, *frame, *sp);
}

// THREAD_SIZE: the boot task's stack spans init_stack .. __end_init_task (__end_init_stack
// in newer linker scripts, which may stop short of the end by a padding); union thread_union
// says the same but may only be in the DWARF, slow to index on first use.
std::uint64_t thread_size(Kernel& kernel) {
    const auto& symbols = kernel.info().symbols();
    const debuginfo::Symbol* start = symbols.find("init_stack");
    for (std::string_view end_name : {"__end_init_task", "__end_init_stack"}) {
        const debuginfo::Symbol* end = symbols.find(end_name);
        if (start != nullptr && end != nullptr && end->address > start->address) {
            std::uint64_t size = 4096;
            while (size < end->address - start->address && size < (1u << 20)) {
                size *= 2;
            }
            return size;
        }
    }
    const debuginfo::Type* type =
        kernel.info().find_type("thread_union", debuginfo::TypeTag::union_tag);
    if (type != nullptr && !type->declaration && type->size >= 4096) {
        return type->size;
    }
    return 16384;
}

Result<std::optional<std::uint64_t>> foreign_task_stack(Kernel& kernel, std::uint64_t current,
                                                        std::uint64_t sp) {
    auto task = kernel.layout("task_struct");
    if (!task) {
        return std::unexpected(task.error());
    }
    auto stack = (*task)->require("stack");
    if (!stack) {
        return std::unexpected(stack.error());
    }
    auto own = kernel.read_u64(current + stack->offset);
    if (!own) {
        return std::unexpected(own.error());
    }
    const std::uint64_t size = thread_size(kernel);
    if (sp >= *own && sp - *own < size) {
        return std::nullopt;
    }
    // Every task stack's lowest word holds STACK_END_MAGIC (set_task_stack_end_magic(), for
    // init_task in start_kernel and for every other task at fork); IRQ and exception stacks
    // do not, so an interrupted task keeps its vCPU.
    constexpr std::uint64_t stack_end_magic = 0x57ac6e9d;
    const std::uint64_t base = sp & ~(size - 1);
    auto bottom = kernel.read_u64(base);
    if (!bottom || (*bottom & 0xffffffffu) != stack_end_magic) {
        return std::nullopt;
    }
    return base;
}

} // namespace kdive::kernel
