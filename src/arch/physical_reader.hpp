// Guest-physical memory, for page-table walks and reads that must not depend on a vCPU's mappings.
#pragma once

#include "support/error.hpp"
#include "target/target.hpp"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace kdive::arch {

class PhysicalReader {
public:
    virtual ~PhysicalReader() = default;
    // All bytes or an error naming the first unreadable physical address.
    virtual Result<std::vector<std::byte>> read_physical(std::uint64_t address,
                                                         std::size_t length) = 0;
};

// `length` bytes of a target's physical memory, for the page-table walkers over it.
Result<std::vector<std::byte>> read_target_physical(target::Target& target, std::uint64_t address,
                                                    std::size_t length);

} // namespace kdive::arch
