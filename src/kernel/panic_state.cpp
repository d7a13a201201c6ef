// panic_cpu exists since 4.6 (earlier kernels used a static spinlock, which says nothing about
// the CPU); kernels without it answer "no panic known".
#include "kernel/panic_state.hpp"

namespace kdive::kernel {

Result<std::optional<int>> panicked_cpu(Kernel& kernel, unsigned nr_cpu_ids) {
    if (!kernel.has_symbol("panic_cpu")) {
        return std::optional<int>{};
    }
    auto address = kernel.address_of("panic_cpu");
    if (!address) {
        return std::unexpected(address.error());
    }
    auto value = kernel.read_u32(*address);
    if (!value) {
        return wrap(value.error(), "reading panic_cpu");
    }
    const auto cpu = static_cast<std::int32_t>(*value);
    if (cpu == -1) {
        return std::optional<int>{};
    }
    if (cpu < 0 || static_cast<unsigned>(cpu) >= nr_cpu_ids) {
        return fail_as(ErrorKind::corrupt, "panic_cpu is {}, not a CPU below nr_cpu_ids {}", cpu,
                       nr_cpu_ids);
    }
    return std::optional<int>{cpu};
}

} // namespace kdive::kernel
