// Registers come from QEMU's CPU-state notes when the dump has them (they hold the segment
// bases and control registers kernel awareness needs) and from NT_PRSTATUS otherwise.
#include "target/core_target.hpp"

#include <algorithm>
#include <cstring>

namespace kdive::target {

namespace {

constexpr std::uint32_t nt_prstatus = 1;
// struct elf_prstatus on x86-64: pr_reg (27 registers of user_regs_struct) starts at 112.
constexpr std::size_t prstatus_regs_offset = 112;
constexpr std::array<std::string_view, 27> prstatus_regs = {
    "r15",    "r14", "r13", "r12",     "rbp",     "rbx", "r11", "r10", "r9",
    "r8",     "rax", "rcx", "rdx",     "rsi",     "rdi", "",    "rip", "cs",
    "eflags", "rsp", "ss",  "fs_base", "gs_base", "ds",  "es",  "fs",  "gs"};

// QEMU's QEMUCPUState (target/i386/arch_dump.c): version, size, 18 general registers, ten
// segments {selector, limit, flags, pad: u32; base: u64}, cr0-cr4, kernel_gs_base.
constexpr std::array<std::string_view, 18> qemu_general = {
    "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rsp", "rbp", "r8",
    "r9",  "r10", "r11", "r12", "r13", "r14", "r15", "rip", "eflags"};
constexpr std::array<std::string_view, 6> qemu_segments = {"cs", "ds", "es", "fs", "gs", "ss"};
constexpr std::size_t qemu_segment_size = 24;
constexpr std::size_t qemu_segments_offset = 8 + 18 * 8;
constexpr std::size_t qemu_cr_offset = qemu_segments_offset + 10 * qemu_segment_size;
constexpr std::size_t qemu_cr_count = 5;
constexpr std::size_t qemu_state_size = qemu_cr_offset + qemu_cr_count * 8 + 8;

std::uint64_t load_u64(const std::vector<std::uint8_t>& bytes, std::size_t at) {
    std::uint64_t value = 0;
    std::memcpy(&value, bytes.data() + at, sizeof value);
    return value;
}

std::uint32_t load_u32(const std::vector<std::uint8_t>& bytes, std::size_t at) {
    std::uint32_t value = 0;
    std::memcpy(&value, bytes.data() + at, sizeof value);
    return value;
}

std::map<std::string, std::uint64_t, std::less<>> prstatus_values(const CoreNote& note) {
    std::map<std::string, std::uint64_t, std::less<>> values;
    if (note.desc.size() < prstatus_regs_offset + prstatus_regs.size() * 8) {
        return values;
    }
    for (std::size_t i = 0; i < prstatus_regs.size(); ++i) {
        if (!prstatus_regs[i].empty()) {
            values.emplace(prstatus_regs[i], load_u64(note.desc, prstatus_regs_offset + 8 * i));
        }
    }
    // The kernel fills pr_reg from pt_regs, which have no segment bases: zero means unknown.
    for (std::string_view base : {"fs_base", "gs_base"}) {
        if (auto found = values.find(base); found != values.end() && found->second == 0) {
            values.erase(found);
        }
    }
    return values;
}

std::map<std::string, std::uint64_t, std::less<>> qemu_values(const CoreNote& note) {
    std::map<std::string, std::uint64_t, std::less<>> values;
    if (note.desc.size() < qemu_state_size) {
        return values;
    }
    for (std::size_t i = 0; i < qemu_general.size(); ++i) {
        values.emplace(qemu_general[i], load_u64(note.desc, 8 + 8 * i));
    }
    for (std::size_t i = 0; i < qemu_segments.size(); ++i) {
        const std::size_t at = qemu_segments_offset + i * qemu_segment_size;
        values.emplace(qemu_segments[i], load_u32(note.desc, at));
        if (qemu_segments[i] == "fs" || qemu_segments[i] == "gs") {
            values.emplace(std::string(qemu_segments[i]) + "_base", load_u64(note.desc, at + 16));
        }
    }
    for (int cr : {0, 2, 3, 4}) {
        values.emplace(fmt::format("cr{}", cr),
                       load_u64(note.desc, qemu_cr_offset + 8 * static_cast<std::size_t>(cr)));
    }
    values.emplace("k_gs_base", load_u64(note.desc, qemu_cr_offset + qemu_cr_count * 8));
    return values;
}

const std::vector<RegisterDescription>& register_descriptions() {
    static const std::vector<RegisterDescription> all = [] {
        std::vector<RegisterDescription> out;
        for (std::string_view name : {"rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp", "r8",
                                      "r9", "r10", "r11", "r12", "r13", "r14", "r15"}) {
            out.push_back(
                {std::string(name), 64, name == "rbp" || name == "rsp" ? "data_ptr" : "int64"});
        }
        out.push_back({"rip", 64, "code_ptr"});
        out.push_back({"eflags", 32, "i386_eflags"});
        for (std::string_view name : {"cs", "ss", "ds", "es", "fs", "gs"}) {
            out.push_back({std::string(name), 32, "int32"});
        }
        for (std::string_view name :
             {"fs_base", "gs_base", "k_gs_base", "cr0", "cr2", "cr3", "cr4"}) {
            out.push_back({std::string(name), 64, "int64"});
        }
        return out;
    }();
    return all;
}

} // namespace

Result<std::unique_ptr<CoreTarget>> CoreTarget::open(std::unique_ptr<CoreFile> file) {
    std::unique_ptr<CoreTarget> target(new CoreTarget(std::move(file)));
    std::vector<RegisterValues> prstatus;
    std::vector<RegisterValues> qemu;
    for (const auto& note : target->file_->notes()) {
        if (note.type == nt_prstatus && note.name == "CORE") {
            prstatus.push_back(prstatus_values(note));
        } else if (note.type == 0 && note.name == "QEMU") {
            qemu.push_back(qemu_values(note));
        } else if (note.name == "VMCOREINFO") {
            target->vmcore_info_ = VmcoreInfo::parse(std::string_view(
                reinterpret_cast<const char*>(note.desc.data()), note.desc.size()));
        }
    }
    const std::size_t cpus = std::max(prstatus.size(), qemu.size());
    if (cpus == 0) {
        return fail_as(ErrorKind::corrupt,
                       "{}: no CPU registers (no NT_PRSTATUS or QEMU CPU-state note)",
                       target->file_->path().string());
    }
    target->cpus_.resize(cpus);
    for (std::size_t i = 0; i < cpus; ++i) {
        auto& values = target->cpus_[i];
        if (i < qemu.size()) {
            values = qemu[i];
        }
        if (i < prstatus.size()) {
            values.insert(prstatus[i].begin(), prstatus[i].end()); // only what QEMU's lacks
        }
    }
    return target;
}

std::string CoreTarget::describe() const {
    return fmt::format("core file {} ({}), {} CPU{}, {}; memory: the dump's, kernel addresses "
                       "through the kernel's page tables",
                       file_->path().string(), file_->describe(), cpus_.size(),
                       cpus_.size() == 1 ? "" : "s",
                       vmcore_info_.empty() ? "no VMCOREINFO" : "VMCOREINFO");
}

std::unexpected<Error> CoreTarget::core_file_refuses(std::string_view what) const {
    return fail_as(ErrorKind::unsupported, "cannot {}: this target is a core file ({})", what,
                   file_->path().string());
}

Result<> CoreTarget::read_memory(std::uint64_t address, std::span<std::uint8_t> out) {
    if (!translator_) {
        return fail_as(ErrorKind::unsupported,
                       "cannot read virtual address {:#x}: no address translation for this dump",
                       address);
    }
    std::size_t done = 0;
    while (done < out.size()) {
        auto run = translator_->translate(address + done, current_);
        if (!run) {
            return std::unexpected(run.error());
        }
        const std::size_t length = static_cast<std::size_t>(
            std::min<std::uint64_t>(out.size() - done, std::max<std::uint64_t>(run->length, 1)));
        if (auto ok = file_->read_physical(run->physical, out.subspan(done, length)); !ok) {
            return fail_as(ok.error().kind, "reading virtual address {:#x}: {}", address + done,
                           ok.error().message);
        }
        done += length;
    }
    return {};
}

Result<> CoreTarget::write_memory(std::uint64_t address, std::span<const std::uint8_t> bytes) {
    (void)bytes;
    return core_file_refuses(fmt::format("write memory at {:#x}", address));
}

Result<> CoreTarget::read_physical(std::uint64_t address, std::span<std::uint8_t> out) {
    return file_->read_physical(address, out);
}

Result<> CoreTarget::write_physical(std::uint64_t address, std::span<const std::uint8_t> bytes) {
    (void)bytes;
    return core_file_refuses(fmt::format("write physical memory at {:#x}", address));
}

const std::vector<RegisterDescription>& CoreTarget::registers() const {
    return register_descriptions();
}

Result<std::vector<std::uint8_t>> CoreTarget::read_register_bytes(std::string_view name) {
    return read_cpu_register_bytes(current_, name);
}

Result<std::vector<std::uint8_t>> CoreTarget::read_cpu_register_bytes(int vcpu,
                                                                      std::string_view name) {
    if (vcpu < 0 || vcpu >= vcpu_count()) {
        return fail_as(ErrorKind::invalid_input, "CPU {} is not in the dump ({} CPUs)", vcpu,
                       vcpu_count());
    }
    const auto& all = register_descriptions();
    auto described = std::ranges::find(all, name, &RegisterDescription::name);
    const auto& values = cpus_[static_cast<std::size_t>(vcpu)];
    auto found = values.find(name);
    if (described == all.end() || found == values.end()) {
        return fail_as(ErrorKind::invalid_input, "register {} of CPU {} is not in the dump", name,
                       vcpu);
    }
    std::vector<std::uint8_t> bytes(static_cast<std::size_t>(described->bitsize / 8));
    std::memcpy(bytes.data(), &found->second, bytes.size());
    return bytes;
}

Result<> CoreTarget::resume() {
    return core_file_refuses("continue");
}
Result<> CoreTarget::step() {
    return core_file_refuses("step");
}
Result<> CoreTarget::interrupt() {
    return core_file_refuses("interrupt");
}

Result<std::optional<StopEvent>> CoreTarget::wait_for_stop(std::chrono::milliseconds wait) {
    (void)wait;
    return core_file_refuses("wait for a stop");
}

Result<> CoreTarget::insert_breakpoint(const Breakpoint& breakpoint) {
    return core_file_refuses(fmt::format("insert a {}", to_string(breakpoint.kind)));
}

Result<> CoreTarget::remove_breakpoint(const Breakpoint& breakpoint) {
    return core_file_refuses(fmt::format("remove a {}", to_string(breakpoint.kind)));
}

Result<> CoreTarget::select_vcpu(int index) {
    if (index < 0 || index >= vcpu_count()) {
        return fail_as(ErrorKind::invalid_input, "CPU {} is not in the dump ({} CPUs)", index,
                       vcpu_count());
    }
    if (index != current_) {
        current_ = index;
        bump_selection_generation();
    }
    return {};
}

Result<std::string> CoreTarget::monitor(std::string_view command) {
    return core_file_refuses(fmt::format("run monitor command '{}'", command));
}

} // namespace kdive::target
