// Virtual-to-physical translation for targets that hold physical memory only (core files,
// guest RAM mapped directly). The architecture layer implements it over the target's physical
// memory and registers; the target only asks.
#pragma once

#include "support/error.hpp"

#include <algorithm>
#include <cstddef>
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

// Visits the physical runs behind [address, address + size) in order, as
// `visit(physical, offset, length)`; stops at the first error, the translator's or the visitor's.
template <typename Visit>
Result<> for_each_physical_run(AddressTranslator& translator, int vcpu, std::uint64_t address,
                               std::size_t size, Visit&& visit) {
    std::size_t done = 0;
    while (done < size) {
        auto run = translator.translate(address + done, vcpu);
        if (!run) {
            return std::unexpected(run.error());
        }
        const auto length = static_cast<std::size_t>(
            std::min<std::uint64_t>(size - done, std::max<std::uint64_t>(run->length, 1)));
        if (auto ok = visit(run->physical, done, length); !ok) {
            return ok;
        }
        done += length;
    }
    return {};
}

} // namespace kdive::target
