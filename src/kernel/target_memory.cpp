// Byte-for-byte forwarding: the Target's page cache already makes repeated small reads cheap.
#include "kernel/target_memory.hpp"

namespace kdive::kernel {

Result<std::vector<std::byte>> TargetMemory::read(std::uint64_t address, std::size_t length) {
    std::vector<std::byte> bytes(length);
    auto out = std::span<std::uint8_t>(reinterpret_cast<std::uint8_t*>(bytes.data()), length);
    if (auto ok = target_.read_memory(address, out); !ok) {
        return std::unexpected(ok.error());
    }
    return bytes;
}

Result<std::vector<std::vector<std::byte>>>
TargetMemory::read_many(std::span<const eval::ReadRange> ranges) {
    std::vector<std::vector<std::byte>> out(ranges.size());
    std::vector<target::MemoryRange> requests(ranges.size());
    for (std::size_t i = 0; i < ranges.size(); ++i) {
        out[i].resize(ranges[i].length);
        requests[i] = {
            ranges[i].address,
            std::span<std::uint8_t>(reinterpret_cast<std::uint8_t*>(out[i].data()), out[i].size())};
    }
    if (auto ok = target_.read_memory_ranges(requests); !ok) {
        return std::unexpected(ok.error());
    }
    return out;
}

Result<> TargetMemory::write(std::uint64_t address, std::span<const std::byte> bytes) {
    return target_.write_memory(
        address, std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(bytes.data()),
                                               bytes.size()));
}

Result<std::uint64_t> TargetMemory::read_register(std::string_view name) {
    return target_.read_register(name);
}

Result<> TargetMemory::write_register(std::string_view name, std::uint64_t value) {
    auto current = target_.read_register_bytes(name);
    if (!current) {
        return std::unexpected(current.error());
    }
    if (current->size() > sizeof(value)) {
        return fail("cannot write register {}: it is wider than 64 bits", name);
    }
    std::vector<std::uint8_t> bytes(current->size());
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        bytes[i] = static_cast<std::uint8_t>(value >> (8 * i));
    }
    return target_.write_register_bytes(name, bytes);
}

Result<std::vector<std::byte>> TargetMemory::read_physical(std::uint64_t address,
                                                           std::size_t length) {
    std::vector<std::byte> bytes(length);
    auto out = std::span<std::uint8_t>(reinterpret_cast<std::uint8_t*>(bytes.data()), length);
    if (auto ok = target_.read_physical(address, out); !ok) {
        return std::unexpected(ok.error());
    }
    return bytes;
}

Result<> CpuRegisterReader::write_register(std::string_view name, std::uint64_t value) {
    (void)value;
    return fail_as(ErrorKind::unsupported,
                   "cannot write register {} of vCPU {} here: select that vCPU first", name, vcpu_);
}

} // namespace kdive::kernel
