// Reads initial values of kernel variables from the vmlinux file.
#include "eval/elf_memory.hpp"

namespace kdive::eval {

Result<std::vector<std::byte>> ElfMemory::read(std::uint64_t address, std::size_t length) {
    return file_.read_address(address, length);
}

Result<> ElfMemory::write(std::uint64_t address, std::span<const std::byte>) {
    return fail("Cannot write memory at address {:#x}: {} is read-only; attach to a target to "
                "change memory",
                address, file_.path().filename().string());
}

} // namespace kdive::eval
