// jiffies_64 is initialised in .data, so the vmlinux holds INITIAL_JIFFIES for this build.
#include "kernel/uptime.hpp"

namespace kdive::kernel {

unsigned hz_from_initial_jiffies(std::uint64_t initial) {
    const std::uint64_t wrap = std::uint64_t{1} << 32;
    if (initial == 0 || initial >= wrap || (wrap - initial) % 300 != 0) {
        return 0;
    }
    return static_cast<unsigned>((wrap - initial) / 300);
}

Result<Uptime> read_uptime(Kernel& kernel) {
    const debuginfo::Symbol* symbol = kernel.info().symbols().find("jiffies_64");
    if (symbol == nullptr) {
        return fail("the vmlinux has no symbol 'jiffies_64'");
    }
    auto linked = kernel.info().elf().read_address(symbol->address, 8);
    if (!linked) {
        return wrap(linked.error(), "reading jiffies_64's initial value from the vmlinux");
    }
    const std::uint64_t initial = Record(std::move(*linked)).u64(0);
    Uptime out;
    out.hz = hz_from_initial_jiffies(initial);
    if (out.hz == 0) {
        return fail("jiffies_64 starts at {:#x} in the vmlinux, not at INITIAL_JIFFIES: cannot "
                    "tell HZ",
                    initial);
    }
    auto now = kernel.read_u64(kernel.relocate(symbol->address));
    if (!now) {
        return wrap(now.error(), "reading jiffies_64");
    }
    out.jiffies = *now;
    out.seconds = static_cast<double>(*now - initial) / out.hz;
    return out;
}

} // namespace kdive::kernel
