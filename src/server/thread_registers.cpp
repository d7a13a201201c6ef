// The unwinder's sleeping-task start (x86-64: rsp past the frame, rip the return address into
// __schedule, rbx, rbp, r12-r15; arm64: x19-x28, x29, sp and pc from thread.cpu_context) is
// exactly what GDB's own unwinder needs to walk up from schedule() with the vmlinux's
// call-frame information.
#include "server/thread_registers.hpp"

#include "arch/aarch64/gdb_registers.hpp"
#include "kernel/stack_unwinder.hpp"
#include "rsp/packet_codec.hpp"

#include <algorithm>

namespace kdive::server {

namespace {

std::vector<std::uint8_t> little_endian(std::uint64_t value, std::size_t size) {
    std::vector<std::uint8_t> bytes(size, 0);
    for (std::size_t i = 0; i < size && i < 8; ++i) {
        bytes[i] = static_cast<std::uint8_t>(value >> (8 * i));
    }
    return bytes;
}

std::uint64_t from_little_endian(const std::vector<std::uint8_t>& bytes) {
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < bytes.size() && i < 8; ++i) {
        value |= std::uint64_t{bytes[i]} << (8 * i);
    }
    return value;
}

std::size_t byte_size(const arch::GdbRegister& r) {
    return static_cast<std::size_t>(r.bitsize) / 8;
}

bool describes(const target::Target& target, std::string_view name) {
    const auto& described = target.registers();
    return std::any_of(described.begin(), described.end(),
                       [&](const auto& r) { return r.name == name; });
}

} // namespace

RegisterFile ThreadRegisters::vcpu_registers(int vcpu) {
    RegisterFile file(layout_.size());
    std::vector<std::size_t> missing;
    for (std::size_t i = 0; i < layout_.size(); ++i) {
        auto bytes = target_.read_cpu_register_bytes(vcpu, layout_[i].name);
        if (bytes && bytes->size() == byte_size(layout_[i])) {
            file[i] = std::move(*bytes);
        } else if (describes(target_, layout_[i].name)) {
            missing.push_back(i);
        }
    }
    // A stub's `g` reply may leave registers out (QEMU's arm64 one has the core registers
    // only); another vCPU's others are read with that vCPU selected, as the stub wants.
    const int previous = target_.current_vcpu();
    if (!missing.empty() && vcpu != previous && target_.select_vcpu(vcpu)) {
        for (std::size_t i : missing) {
            auto bytes = target_.read_register_bytes(layout_[i].name);
            if (bytes && bytes->size() == byte_size(layout_[i])) {
                file[i] = std::move(*bytes);
            }
        }
        (void)target_.select_vcpu(previous);
    }
    add_pointer_auth_masks(file);
    return file;
}

std::optional<std::uint64_t> ThreadRegisters::translation_control() {
    if (arch_.machine != arch::Machine::aarch64) {
        return std::nullopt;
    }
    const std::uint64_t generation = target_.guest_generation();
    if (!tcr_for_ || tcr_for_->first != generation) {
        std::optional<std::uint64_t> tcr;
        if (auto bytes = target_.read_register_bytes("TCR_EL1"); bytes && bytes->size() == 8) {
            tcr = from_little_endian(*bytes);
        }
        tcr_for_.emplace(generation, tcr);
    }
    return tcr_for_->second;
}

void ThreadRegisters::add_pointer_auth_masks(RegisterFile& file) {
    const std::size_t data = arch::gdb_register_number(arch_, "pauth_dmask");
    const std::size_t code = arch::gdb_register_number(arch_, "pauth_cmask");
    if (data >= file.size() || code >= file.size() || (file[data] && file[code])) {
        return; // not arm64, or the stub gives them itself
    }
    // The masks are the kernel's, not a task's: where its return addresses keep their
    // authentication code. GDB strips it while unwinding through signed frames.
    if (auto tcr = translation_control()) {
        const std::uint64_t mask = arch::aarch64::pointer_auth_mask(*tcr);
        file[data] = little_endian(mask, byte_size(layout_[data]));
        file[code] = little_endian(mask, byte_size(layout_[code]));
    }
}

Result<RegisterFile> ThreadRegisters::saved_registers(const ServedThread& thread) {
    auto view = kernel_();
    if (!view) {
        return std::unexpected(view.error());
    }
    auto start = kernel::sleeping_task_registers(**view, thread.task);
    if (!start) {
        return std::unexpected(start.error());
    }
    RegisterFile file(layout_.size());
    for (std::size_t reg = 0; reg < kernel::dwarf_register_count; ++reg) {
        const auto& value = start->regs[reg];
        const std::size_t regnum =
            arch::gdb_register_number(arch_, kernel::dwarf_register_name(*start->arch, reg));
        if (value && regnum < layout_.size()) {
            file[regnum] = little_endian(*value, byte_size(layout_[regnum]));
        }
    }
    add_pointer_auth_masks(file);
    return file;
}

Result<const RegisterFile*> ThreadRegisters::read(const ServedThread& thread) {
    const auto key = std::make_pair(target_.guest_generation(), thread.id);
    if (cached_for_ == key) {
        return &cached_;
    }
    if (thread.vcpu) {
        cached_ = vcpu_registers(*thread.vcpu);
    } else {
        auto saved = saved_registers(thread);
        if (!saved) {
            return std::unexpected(saved.error());
        }
        cached_ = std::move(*saved);
    }
    cached_for_ = key;
    return &cached_;
}

Result<> ThreadRegisters::write(const ServedThread& thread, std::size_t regnum,
                                std::span<const std::uint8_t> bytes) {
    if (regnum >= layout_.size()) {
        return fail_as(ErrorKind::invalid_input, "no register number {}", regnum);
    }
    if (!thread.vcpu) {
        return fail_as(ErrorKind::unsupported,
                       "cannot write {} of pid {}: the task is not running, its registers are "
                       "saved on its stack",
                       layout_[regnum].name, thread.pid);
    }
    const int previous = target_.current_vcpu();
    if (auto ok = target_.select_vcpu(*thread.vcpu); !ok) {
        return ok;
    }
    auto written = target_.write_register_bytes(layout_[regnum].name, bytes);
    (void)target_.select_vcpu(previous);
    cached_for_.reset();
    return written;
}

std::string encode_register_file(const RegisterFile& file,
                                 std::span<const arch::GdbRegister> layout) {
    std::string out;
    for (std::size_t i = 0; i < file.size() && i < layout.size(); ++i) {
        if (file[i]) {
            out += rsp::hex_encode(
                std::string_view(reinterpret_cast<const char*>(file[i]->data()), file[i]->size()));
        } else {
            out.append(byte_size(layout[i]) * 2, 'x');
        }
    }
    return out;
}

} // namespace kdive::server
