// Registers are parsed once from the notes (core_registers); memory reads go through the
// translator, physical ones straight to the file.
#include "target/core_target.hpp"

#include <algorithm>
#include <cstring>

namespace kdive::target {

Result<std::unique_ptr<CoreTarget>> CoreTarget::open(std::unique_ptr<CoreFile> file) {
    std::unique_ptr<CoreTarget> target(new CoreTarget(std::move(file)));
    const auto& notes = target->file_->notes();
    for (const auto& note : notes) {
        if (note.name == "VMCOREINFO") {
            target->vmcore_info_ = VmcoreInfo::parse(std::string_view(
                reinterpret_cast<const char*>(note.desc.data()), note.desc.size()));
        }
    }
    auto machine = core_machine(target->file_->machine(), notes);
    if (!machine) {
        return wrap(machine.error(), target->file_->path().string());
    }
    auto registers = core_registers(*machine, notes);
    if (!registers) {
        return wrap(registers.error(), target->file_->path().string());
    }
    // QEMU's arm64 dumps hold general registers only: without VMCOREINFO nothing says where
    // the kernel's page tables are (no TTBR1_EL1), and no kernel address could be read.
    const auto& info = target->vmcore_info_;
    if (*machine == em_aarch64 &&
        (!info.hex("SYMBOL(swapper_pg_dir)") || !info.hex("NUMBER(kimage_voffset)"))) {
        return fail_as(ErrorKind::unsupported,
                       "{}: an arm64 dump without VMCOREINFO's SYMBOL(swapper_pg_dir) and "
                       "NUMBER(kimage_voffset): its notes hold general registers only, so the "
                       "kernel's page tables cannot be found (dump a guest with QEMU's vmcoreinfo "
                       "device and the qemu_fw_cfg module loaded, as kdive boot and its default "
                       "rootfs do)",
                       target->file_->path().string());
    }
    target->machine_ = registers->machine;
    target->cpus_ = std::move(registers->cpus);
    return target;
}

std::string CoreTarget::describe() const {
    return fmt::format("core file {} ({}), {} {} CPU{}, {}; memory: the dump's, kernel addresses "
                       "through the kernel's page tables",
                       file_->path().string(), file_->describe(), cpus_.size(),
                       core_machine_name(machine_), cpus_.size() == 1 ? "" : "s",
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
    return for_each_physical_run(
        *translator_, current_, address, out.size(),
        [&](std::uint64_t physical, std::size_t offset, std::size_t length) -> Result<> {
            if (auto ok = file_->read_physical(physical, out.subspan(offset, length)); !ok) {
                return fail_as(ok.error().kind, "reading virtual address {:#x}: {}",
                               address + offset, ok.error().message);
            }
            return {};
        });
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
    return core_register_descriptions(machine_);
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
    const auto& all = core_register_descriptions(machine_);
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
