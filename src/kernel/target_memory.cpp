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

Result<> TargetMemory::write(std::uint64_t address, std::span<const std::byte> bytes) {
    return target_.write_memory(
        address, std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(bytes.data()),
                                               bytes.size()));
}

Result<std::uint64_t> TargetMemory::read_register(std::string_view name) {
    return target_.read_register(name);
}

Result<> TargetMemory::write_register(std::string_view name, std::uint64_t) {
    return fail("cannot write register {}: the target does not support register writes yet", name);
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

} // namespace kdive::kernel
