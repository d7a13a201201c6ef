// The unwinder's sleeping-task start (rsp past the frame, rip the return address into
// __schedule, rbx, rbp, r12-r15) is exactly what GDB's own unwinder needs to walk up from
// schedule() with the vmlinux's call-frame information.
#include "server/thread_registers.hpp"

#include "arch/x86_64/gdb_registers.hpp"
#include "kernel/stack_unwinder.hpp"
#include "rsp/packet_codec.hpp"

namespace kdive::server {

namespace {

std::vector<std::uint8_t> little_endian(std::uint64_t value, std::size_t size) {
    std::vector<std::uint8_t> bytes(size, 0);
    for (std::size_t i = 0; i < size && i < 8; ++i) {
        bytes[i] = static_cast<std::uint8_t>(value >> (8 * i));
    }
    return bytes;
}

std::size_t byte_size(const arch::x86_64::GdbRegister& r) {
    return static_cast<std::size_t>(r.bitsize) / 8;
}

} // namespace

RegisterFile ThreadRegisters::vcpu_registers(int vcpu) {
    const auto layout = arch::x86_64::gdb_registers();
    RegisterFile file(layout.size());
    for (std::size_t i = 0; i < layout.size(); ++i) {
        auto bytes = target_.read_cpu_register_bytes(vcpu, layout[i].name);
        if (bytes && bytes->size() == byte_size(layout[i])) {
            file[i] = std::move(*bytes);
        }
    }
    return file;
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
    const auto layout = arch::x86_64::gdb_registers();
    RegisterFile file(layout.size());
    for (std::size_t reg = 0; reg < kernel::dwarf_register_count; ++reg) {
        const auto& value = start->regs[reg];
        const std::size_t regnum =
            arch::x86_64::gdb_register_number(kernel::dwarf_register_name(reg));
        if (value && regnum < layout.size()) {
            file[regnum] = little_endian(*value, byte_size(layout[regnum]));
        }
    }
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
    const auto layout = arch::x86_64::gdb_registers();
    if (regnum >= layout.size()) {
        return fail_as(ErrorKind::invalid_input, "no register number {}", regnum);
    }
    if (!thread.vcpu) {
        return fail_as(ErrorKind::unsupported,
                       "cannot write {} of pid {}: the task is not running, its registers are "
                       "saved on its stack",
                       layout[regnum].name, thread.pid);
    }
    const int previous = target_.current_vcpu();
    if (auto ok = target_.select_vcpu(*thread.vcpu); !ok) {
        return ok;
    }
    auto written = target_.write_register_bytes(layout[regnum].name, bytes);
    (void)target_.select_vcpu(previous);
    cached_for_.reset();
    return written;
}

std::string encode_register_file(const RegisterFile& file) {
    const auto layout = arch::x86_64::gdb_registers();
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
