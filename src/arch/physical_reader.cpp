// Physical reads through the Target interface, shared by the architectures' page tables.
#include "arch/physical_reader.hpp"

namespace kdive::arch {

Result<std::vector<std::byte>> read_target_physical(target::Target& target, std::uint64_t address,
                                                    std::size_t length) {
    std::vector<std::byte> bytes(length);
    if (auto ok = target.read_physical(
            address, {reinterpret_cast<std::uint8_t*>(bytes.data()), bytes.size()});
        !ok) {
        return std::unexpected(ok.error());
    }
    return bytes;
}

} // namespace kdive::arch
