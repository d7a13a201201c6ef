// tk_core is a static of an anonymous struct type before 6.14 (its layout comes from the
// variable's own type), and the first of timekeeper_data[] (struct tk_data) from 6.14 on.
#include "kernel/wall_clock.hpp"

namespace kdive::kernel {

Result<std::int64_t> read_wall_seconds(Kernel& kernel) {
    std::uint64_t address = 0;
    std::optional<StructLayout> layout;
    if (kernel.has_symbol("timekeeper_data")) {
        auto at = kernel.address_of("timekeeper_data");
        auto data = kernel.layout("tk_data");
        if (!at || !data) {
            return std::unexpected(!at ? at.error() : data.error());
        }
        address = *at;
        layout.emplace(**data);
    } else {
        auto core = kernel.variable("tk_core");
        if (!core) {
            return std::unexpected(core.error());
        }
        if (core->type == nullptr) {
            return fail("tk_core has no type in the debug info");
        }
        address = core->address;
        layout.emplace(&kernel.info(), core->type, "tk_core");
    }
    auto offset = layout->offset("timekeeper.xtime_sec");
    if (!offset) {
        return std::unexpected(offset.error());
    }
    auto seconds = kernel.read_u64(address + *offset);
    if (!seconds) {
        return wrap(seconds.error(), "reading the timekeeper's xtime_sec");
    }
    return static_cast<std::int64_t>(*seconds);
}

} // namespace kdive::kernel
