// Virtual-to-physical translation for targets that hold physical memory only (core files,
// guest RAM mapped directly). The architecture layer implements it over the target's physical
// memory and registers; the target only asks.
#pragma once

#include "support/error.hpp"

#include <cstdint>

namespace kdive::target {

struct PhysicalRun {
    std::uint64_t physical = 0;
    std::uint64_t length = 0; // bytes contiguous from `physical` (to the end of the page)
};

class AddressTranslator {
public:
    virtual ~AddressTranslator() = default;
    // Where `address` lives as `vcpu` sees it (user addresses through that vCPU's page tables,
    // kernel addresses through the kernel's). Kind `unmapped` when no page maps it.
    virtual Result<PhysicalRun> translate(std::uint64_t address, int vcpu) = 0;
    // The guest changed (it ran, or memory was written): cached table pages are stale.
    virtual void invalidate() = 0;
};

} // namespace kdive::target
