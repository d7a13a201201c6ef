// Target helpers shared by every backend.
#include "target/target.hpp"

namespace kdive::target {

std::string_view to_string(BreakpointKind kind) {
    switch (kind) {
    case BreakpointKind::software:
        return "breakpoint";
    case BreakpointKind::hardware:
        return "hw breakpoint";
    case BreakpointKind::write_watch:
        return "watchpoint";
    case BreakpointKind::read_watch:
        return "read watchpoint";
    case BreakpointKind::access_watch:
        return "acc watchpoint";
    }
    return "breakpoint";
}

namespace {

Result<std::uint64_t> as_number(std::string_view name, Result<std::vector<std::uint8_t>> bytes) {
    if (!bytes) {
        return std::unexpected(bytes.error());
    }
    if (bytes->size() > 8) {
        return fail_as(ErrorKind::invalid_input, "register {} is {} bits wide; read it as bytes",
                       name, bytes->size() * 8);
    }
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < bytes->size(); ++i) {
        value |= std::uint64_t{(*bytes)[i]} << (8 * i);
    }
    return value;
}

} // namespace

Result<std::uint64_t> Target::read_register(std::string_view name) {
    return as_number(name, read_register_bytes(name));
}

Result<std::uint64_t> Target::read_cpu_register(int vcpu, std::string_view name) {
    return as_number(name, read_cpu_register_bytes(vcpu, name));
}

Result<std::vector<std::uint8_t>> Target::read_cpu_register_bytes(int vcpu, std::string_view name) {
    const int selected = current_vcpu();
    if (vcpu == selected) {
        return read_register_bytes(name);
    }
    if (auto ok = select_vcpu(vcpu); !ok) {
        return std::unexpected(ok.error());
    }
    auto bytes = read_register_bytes(name);
    if (auto back = select_vcpu(selected); !back) {
        return std::unexpected(back.error());
    }
    return bytes;
}

Result<> Target::read_memory_ranges(std::span<const MemoryRange> ranges) {
    for (const auto& range : ranges) {
        if (auto ok = read_memory(range.address, range.out); !ok) {
            return ok;
        }
    }
    return {};
}

Result<std::vector<std::uint8_t>> Target::read_bytes(std::uint64_t address, std::size_t length) {
    std::vector<std::uint8_t> bytes(length);
    if (auto ok = read_memory(address, bytes); !ok) {
        return std::unexpected(ok.error());
    }
    return bytes;
}

Result<std::uint64_t> Target::read_u64(std::uint64_t address) {
    std::uint8_t bytes[8];
    if (auto ok = read_memory(address, bytes); !ok) {
        return std::unexpected(ok.error());
    }
    std::uint64_t value = 0;
    for (int i = 0; i < 8; ++i) {
        value |= std::uint64_t{bytes[i]} << (8 * i);
    }
    return value;
}

} // namespace kdive::target
